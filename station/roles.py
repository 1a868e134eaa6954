"""The roles a user may have, and which roles may do what: the one list every check reads."""
from station.languages import N_

ROLES = ("operator", "technician", "supervisor", "admin")
# what a screen calls each role (the stored value stays the English code): `{{ role|label('role') }}`
ROLE_LABELS = {"operator": N_("operator"), "technician": N_("technician"), "supervisor": N_("supervisor"),
               "admin": N_("admin")}

# who may do what (a supervisor and an admin may also do the work below them, not a technician's
# badge at the bench: a technician's screen is the refurbish station)
OPERATORS = ("operator", "supervisor", "admin")
TECHNICIANS = ("technician", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")
ADMINS = ("admin",)

"""The services after the bench: stock, cross-dock allocation, refurbish, RTV, quarantine, refunds.

Their screens live in station/web/downstream/, their JSON routes in station/web/api/.
"""

// The downstream screens' touch helpers: on-screen number entry and value chips.
// Everything else is htmx markup; bench.js already handles data-toggle and data-print.
(function () {
  "use strict";

  function closest(el, selector) { return el && el.closest ? el.closest(selector) : null; }

  // the number field the keys write into: the one tapped last in this form
  function activeField(form) {
    return form.querySelector("[data-num][data-active]") || form.querySelector("[data-num]");
  }

  function activate(field) {
    var form = closest(field, "form");
    form.querySelectorAll("[data-num]").forEach(function (f) { f.removeAttribute("data-active"); });
    field.setAttribute("data-active", "");
  }

  function press(key, form) {
    var field = activeField(form);
    if (!field) return;
    var value = field.value;
    if (key === "back") value = value.slice(0, -1);
    else if (key === ".") { if (value.indexOf(".") < 0) value = (value || "0") + "."; }
    else if (value.length < 9) value = value === "0" ? key : value + key;
    field.value = value;
  }

  document.addEventListener("click", function (e) {
    var el;
    if ((el = closest(e.target, "[data-numkey]"))) press(el.dataset.numkey, closest(el, "form"));
    else if ((el = closest(e.target, "[data-num]"))) activate(el);
    else if ((el = closest(e.target, "[data-set]"))) {
      var field = closest(el, "form").querySelector("[name='" + el.dataset.set + "']");
      field.value = el.dataset.value;
      activate(field);
    }
  });
})();

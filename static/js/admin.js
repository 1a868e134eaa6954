// Admin screens: the on-screen PIN keypads (each tied to its field by data-pin-for).
// Not the sign-in keypad (bench.js), which takes every key on its page: here the other
// fields of the form must keep typing normally.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var key = e.target.closest ? e.target.closest("[data-pin-key]") : null;
    if (!key) return;
    var pad = key.closest("[data-pin-for]");
    var input = pad && document.getElementById(pad.dataset.pinFor);
    if (!input) return;
    var k = key.dataset.pinKey;
    if (k === "back") input.value = input.value.slice(0, -1);
    else if (k === "clear") input.value = "";
    else if (input.value.length < (parseInt(input.getAttribute("maxlength"), 10) || 8)) input.value += k;
  });
})();

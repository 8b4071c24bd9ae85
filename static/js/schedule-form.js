// The schedule form shows only the fields that apply to the chosen frequency.
// Progressive enhancement: without this script every field is visible, each with a hint
// saying when it applies, and the server ignores or refuses what does not apply. Loaded
// from /static (the CSP allows no inline script). A hidden field is also disabled, so a
// value typed before switching frequency is not sent; one with an error stays visible.
(function () {
  "use strict";
  var frequency = document.getElementById("frequency");
  if (!frequency) return;
  var groups = document.querySelectorAll("[data-frequencies]");

  function update() {
    var chosen = frequency.value;
    groups.forEach(function (group) {
      var applies = group.getAttribute("data-frequencies").split(" ").indexOf(chosen) !== -1;
      var show = applies || group.querySelector(".field-invalid") !== null;
      group.hidden = !show;
      group.querySelectorAll("input, select, textarea").forEach(function (control) {
        control.disabled = !show;
      });
    });
  }

  frequency.addEventListener("change", update);
  update();
})();

/* Progressive enhancements only: every page works without this file (CSP: script-src 'self',
   so it is a static file, never inline). It adds
   - closing the account menu (<details>) with Escape or a click elsewhere;
   - "Copy" buttons next to account numbers (the number itself stays selectable text);
   - "Print" buttons on statements (the browser's own Print works without them). */
(function () {
  "use strict";

  // Menus: a <details class="account-menu"> opens and closes without script; these close it
  // the way people expect a menu to close.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  // Copy buttons: <button data-copy-target="ID" hidden> is shown only here, where it works.
  function copyText(text, source) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Older browsers and plain-http pages: select the text and use the legacy command.
    return new Promise(function (resolve, reject) {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      if (done) resolve(); else reject(new Error("copy refused"));
    });
  }

  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) return;
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    var label = button.querySelector(".copy-label");
    var idle = label ? label.textContent : "";
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.replace(/\s+/g, "");
      copyText(text, source).then(function () {
        if (label) label.textContent = "Copied";
        if (status) status.textContent = "Account number copied.";
      }, function () {
        // Copying was refused: leave the number selected so the person can copy it.
        if (status) status.textContent = "Select the number and copy it.";
      });
      window.setTimeout(function () {
        if (label) label.textContent = idle;
        if (status) status.textContent = "";
      }, 4000);
    });
  });

  // Print buttons (statements).
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();

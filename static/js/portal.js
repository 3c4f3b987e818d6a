// Runway's small page behaviours: menu toggle, confirmation dialogs, toasts.
// Loaded with the CSP nonce; no inline handlers anywhere.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-menu-toggle]");
    if (!toggle) return;
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = menu.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // On a narrow screen a tab bar scrolls sideways: bring the current tab into its view
  // (scrolling the bar only, never the page, which may have opened at an anchor).
  document.querySelectorAll(".tabs [aria-current='page']").forEach(function (tab) {
    var bar = tab.parentElement;
    if (bar.scrollWidth <= bar.clientWidth) return;
    var offset = tab.getBoundingClientRect().left - bar.getBoundingClientRect().left;
    bar.scrollLeft += offset - (bar.clientWidth - tab.offsetWidth) / 2;
  });

  // The board report's Print button.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // Forms with data-confirm ask first, in an accessible <dialog>.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.confirm || form.dataset.confirmed === "yes") return;
    event.preventDefault();
    var dialog = document.createElement("dialog");
    dialog.setAttribute("aria-labelledby", "confirm-text");
    var text = document.createElement("p");
    text.id = "confirm-text";
    text.textContent = form.dataset.confirm;
    var actions = document.createElement("div");
    actions.className = "form-actions";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    var ok = document.createElement("button");
    ok.type = "button";
    // Destructive by default; an approval (data-confirm-kind="primary") is not.
    ok.className = form.dataset.confirmKind === "primary" ? "button-primary" : "button-danger";
    ok.textContent = form.dataset.confirmLabel || "Confirm";
    actions.append(cancel, ok);
    dialog.append(text, actions);
    document.body.append(dialog);
    cancel.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); });
    ok.addEventListener("click", function () {
      form.dataset.confirmed = "yes";
      dialog.close();
      form.requestSubmit();
    });
    dialog.showModal();
    cancel.focus();
  });

  // Toasts fade after a while; HX-Trigger "toast" events add new ones.
  function addToast(message, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.textContent = message;
    box.append(toast);
    setTimeout(function () { toast.remove(); }, 6000);
  }
  document.body.addEventListener("toast", function (event) {
    addToast(event.detail.message, event.detail.level);
  });
  document.querySelectorAll(".toast").forEach(function (toast) {
    setTimeout(function () { toast.remove(); }, 8000);
  });
})();

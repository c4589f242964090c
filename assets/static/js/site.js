// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The phone menu: a button that says whether the menu is open, instead of a link.
  var link = document.querySelector(".menu-button");
  var panel = document.getElementById("trinh-don");
  if (link && panel) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "menu-button";
    button.textContent = link.textContent;
    button.setAttribute("aria-controls", "trinh-don");
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var open = panel.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    // Escape closes the open menu and gives the focus back to its button.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && panel.classList.contains("open")) {
        panel.classList.remove("open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
    link.parentNode.replaceChild(button, link);
  }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
  // The visit counts change every minute, the cached page does not: fetch them.
  var visits = document.querySelector("[data-visits]");
  if (visits && window.fetch) {
    fetch("/thong-ke-truy-cap.json", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (!c) { return; }
        var n = function (x) { return Number(x).toLocaleString("vi-VN"); };
        visits.textContent = "Thống kê truy cập: đang truy cập " + n(c.online) +
          " · hôm nay " + n(c.today) + " · tổng " + n(c.total);
      })
      .catch(function () {});
  }
})();

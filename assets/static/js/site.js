// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
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

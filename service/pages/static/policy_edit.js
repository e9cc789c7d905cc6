// The policy editor: a line-number gutter kept level with the textarea, and issue links that put the caret on
// their line. Without this script the page still works: the links then land on the checked text's line anchors.
(function () {
  "use strict";
  var area = document.getElementById("yaml");
  var gutter = document.getElementById("gutter");
  var dirty = document.getElementById("dirty");
  if (!area || !gutter) {
    return;
  }
  var saved = area.value;
  var bad = {};
  Array.prototype.forEach.call(gutter.querySelectorAll("span.bad"), function (span) {
    bad[span.textContent] = true;
  });

  function lineCount() {  // as the server numbers them: a final line break does not open a line
    var n = area.value.split("\n").length;
    return area.value.slice(-1) === "\n" ? Math.max(n - 1, 1) : n;
  }

  function renumber() {
    var n = lineCount();
    while (gutter.children.length < n) {
      var span = document.createElement("span");
      span.textContent = String(gutter.children.length + 1);
      if (bad[span.textContent]) {
        span.className = "bad";
      }
      gutter.appendChild(span);
    }
    while (gutter.children.length > n) {
      gutter.removeChild(gutter.lastChild);
    }
    gutter.scrollTop = area.scrollTop;
  }

  function goTo(line) {
    var lines = area.value.split("\n");
    line = Math.min(Math.max(line, 1), lines.length);
    var start = 0;
    for (var i = 0; i < line - 1; i++) {
      start += lines[i].length + 1;
    }
    area.focus();
    area.setSelectionRange(start, start + lines[line - 1].length);
    var height = parseFloat(window.getComputedStyle(area).lineHeight) || 19;
    area.scrollTop = Math.max(0, (line - 1) * height - area.clientHeight / 3);
    Array.prototype.forEach.call(gutter.querySelectorAll("span.current"), function (span) {
      span.classList.remove("current");
    });
    var mark = gutter.children[line - 1];
    if (mark) {
      mark.classList.add("current");
    }
    gutter.scrollTop = area.scrollTop;
    area.closest(".editor").scrollIntoView({block: "nearest"});
  }

  area.addEventListener("input", function () {
    renumber();
    if (dirty) {
      dirty.hidden = area.value === saved && !dirty.dataset.server;
    }
  });
  area.addEventListener("scroll", function () {
    gutter.scrollTop = area.scrollTop;
  });
  Array.prototype.forEach.call(document.querySelectorAll("a.at[data-line]"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      goTo(Number(link.dataset.line));
    });
  });
  if (dirty && !dirty.hidden) {
    dirty.dataset.server = "1";  // the server saw unsaved text: it stays unsaved until a save
  }
  renumber();
}());

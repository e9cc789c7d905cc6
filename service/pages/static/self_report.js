// The self-report form: each field checked as it is entered, against the rules the page embeds (made from
// schemas/submission.schema.json and the policy's inputs); documents uploaded as soon as they are picked.
// The server checks everything again on submit; this only tells the user sooner.
(function () {
  "use strict";
  var form = document.getElementById("self-report");
  if (!form) { return; }
  var spec = JSON.parse(form.dataset.rules);
  var rules = spec.fields, messages = spec.messages;
  var NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
  var csrf = form.querySelector("input[name=csrf_token]").value;

  function say(key, values) {
    return messages[key].replace(/\{(\w+)\}/g, function (_, name) { return values && name in values ? values[name] : ""; });
  }

  // the first problem with a value, or "" when it is fine; empty values only matter when required
  function problemOf(rule, text, final) {
    if (text.trim() === "") {
      if (text !== "" && rule.type === "string") { return say("blank"); }
      return rule.required && final ? say("required") : "";
    }
    if (rule.type === "number" || rule.type === "integer") {
      if (!NUMBER.test(text.trim())) { return say("number"); }
      var n = Number(text.trim());
      if (rule.integer && !Number.isInteger(n)) { return say("integer"); }
      if ("minimum" in rule && n < rule.minimum) { return say("minimum", rule); }
      if ("maximum" in rule && n > rule.maximum) { return say("maximum", rule); }
      return "";
    }
    if (rule.type === "string") {
      var length = Array.from(text).length;
      if ("minLength" in rule && length < rule.minLength) { return say("minLength", rule); }
      if ("maxLength" in rule && length > rule.maxLength) { return say("maxLength", rule); }
      if ("pattern" in rule && !new RegExp(rule.pattern, "u").test(text)) {
        return rule.pattern === "\\S" ? say("blank") : (rule.hint || say("pattern"));
      }
    }
    return "";
  }

  function errorLine(input) {
    return document.getElementById(input.getAttribute("aria-describedby"));
  }

  function mark(input, message) {
    var line = errorLine(input);
    if (message) {
      input.setAttribute("aria-invalid", "true");
      line.textContent = message;
      line.hidden = false;
    } else {
      input.removeAttribute("aria-invalid");
      line.textContent = "";
      line.hidden = true;
    }
  }

  function check(input, final) {
    var rule = rules[input.name];
    if (!rule || rule.type === "file") { return true; }
    var message = problemOf(rule, input.value, final);
    mark(input, message);
    return !message;
  }

  form.addEventListener("input", function (event) {
    if (event.target.name in rules && event.target.type !== "file") { check(event.target, false); }
  });
  form.addEventListener("focusout", function (event) {
    if (event.target.name in rules && event.target.type !== "file") { check(event.target, true); }
  });

  // products belong to a sector: show those of the chosen one
  var sector = form.querySelector("select[name='enterprise.sector']");
  function showSector() {
    form.querySelectorAll("[data-sector]").forEach(function (node) {
      node.hidden = node.dataset.sector !== sector.value;
    });
    var products = document.getElementById("g-products");
    if (products) { products.hidden = !products.querySelector("[data-sector]:not([hidden])"); }
  }
  if (sector) { sector.addEventListener("change", showSector); showSector(); }

  var policy = document.getElementById("policy");
  if (policy) { policy.addEventListener("change", function () { policy.form.submit(); }); }

  // documents: checked here, uploaded at once, then carried as a hidden field with their hash
  function attach(input, doc) {
    var list = input.closest(".field").querySelector("ul.attached");
    var item = document.createElement("li");
    var hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = input.name; hidden.value = doc.sha256;
    var link = document.createElement("a");
    link.href = form.dataset.documentUrl.replace("SHA", doc.sha256);
    link.textContent = doc.name;
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "link"; remove.dataset.remove = ""; remove.textContent = say("remove");
    item.append(hidden, link, " ", remove);
    list.appendChild(item);
  }

  function fileProblem(rule, file) {
    var dot = file.name.lastIndexOf(".");
    var extension = dot < 0 ? "" : file.name.slice(dot).toLowerCase();
    if (rule.extensions.indexOf(extension) < 0) {
      return say("fileType", {types: rule.extensions.join(", ")});
    }
    if (file.size > rule.maxBytes) {
      return say("fileSize", {maxMiB: Math.round(rule.maxBytes / 104857.6) / 10});
    }
    return "";
  }

  function upload(input) {
    var rule = rules[input.name];
    var files = Array.from(input.files);
    var refused = files.map(function (file) { return fileProblem(rule, file); }).filter(Boolean);
    if (refused.length) { mark(input, refused[0]); return; }
    var region = form.querySelector("input[name='enterprise.region']");
    mark(input, "");
    var line = errorLine(input);
    line.hidden = false; line.textContent = say("uploading");
    input.dataset.uploading = "1";
    var pending = files.map(function (file) {
      var body = new FormData();
      body.append("file", file, file.name);
      if (region && region.value) { body.append("region", region.value); }
      return fetch(form.dataset.uploadUrl, {method: "POST", body: body, credentials: "same-origin",
                                            headers: {"X-CSRF-Token": csrf, "Accept": "application/json"}})
        .then(function (response) {
          return response.json().catch(function () { return {detail: response.statusText}; })
            .then(function (answer) {
              if (!response.ok) { throw new Error(answer.detail || response.statusText); }
              attach(input, answer);
            });
        });
    });
    Promise.all(pending).then(function () {
      mark(input, "");
      input.value = "";  // uploaded: the hidden fields carry them, the form does not send the bytes again
    }).catch(function (error) {
      mark(input, error.message);
    }).finally(function () {
      delete input.dataset.uploading;
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.type === "file" && event.target.files.length) { upload(event.target); }
  });
  form.addEventListener("click", function (event) {
    if (event.target.matches("button[data-remove]")) { event.target.closest("li").remove(); }
  });

  form.addEventListener("submit", function (event) {
    var bad = Array.from(form.elements).filter(function (input) {
      return input.name in rules && input.type !== "file" && !input.closest("[hidden]") && !check(input, true);
    });
    var busy = form.querySelector("input[data-uploading]");
    if (bad.length || busy) {
      event.preventDefault();
      (bad[0] || busy).focus();
    }
  });
}());

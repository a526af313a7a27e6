// Live view of a conversation in the staff console: polls for new messages (already masked by the server)
// and appends them with textContent. A status change (e.g. the bot handed off) reloads the page's actions.
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  var statusEl = document.getElementById("conversation-status");
  if (!list) { return; }
  var lastId = parseInt(list.dataset.lastId || "0", 10);
  var url = list.dataset.pollUrl;
  var WHO = { applicant: "申请人", bot: "智能助手", staff: "工作人员", system: "系统", note: "内部备注" };

  function append(m) {
    if (list.querySelector('[data-id="' + m.id + '"]')) { return; }
    var item = document.createElement("li");
    item.className = "msg msg-" + m.author;
    item.dataset.id = m.id;
    var who = document.createElement("span");
    who.className = "msg-who";
    who.textContent = (WHO[m.author] || m.author) + (m.state === "held" ? " · 待人工回复" : "");
    var text = document.createElement("span");
    text.className = "msg-text";
    text.textContent = m.text;
    item.appendChild(who);
    item.appendChild(text);
    list.appendChild(item);
    lastId = Math.max(lastId, m.id);
  }

  function poll() {
    fetch(url + "?after=" + lastId, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.messages.forEach(append);
        if (statusEl && data.status !== statusEl.dataset.status) { window.location.reload(); }
      })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 3000);
}());

// Web chat: posts to /api/chat/messages and polls /api/chat/<id>/messages for later messages
// (pre-review results, staff replies). Every text is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var STORAGE_KEY = "yici.conversation";
  var POLL_MS = 2500;
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var statusLine = document.getElementById("chat-status");
  var params = new URLSearchParams(window.location.search);
  var conversationId = params.get("c") || window.localStorage.getItem(STORAGE_KEY);
  var lastId = 0;
  var shown = {};
  var sending = false;
  var WHO = { bot: "智能助手", staff: "工作人员", system: "系统消息", applicant: "我" };

  function remember(id) {
    conversationId = id;
    window.localStorage.setItem(STORAGE_KEY, id);
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  function safeHref(url) {
    if (typeof url !== "string") { return null; }
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") { return url; }
    return /^https?:\/\//i.test(url) ? url : null;
  }

  function render(message, pendingBubble) {
    if (message.id && shown[message.id]) { return; }
    var item = pendingBubble || document.createElement("li");
    var author = message.author || "bot";
    item.className = "msg msg-" + author;
    if (message.id) {
      shown[message.id] = true;
      item.dataset.id = message.id;
      lastId = Math.max(lastId, message.id);
    } else {
      item.classList.add("msg-pending");
    }
    if (!pendingBubble) {
      var who = document.createElement("span");
      who.className = "msg-who";
      who.textContent = WHO[author] || "";
      item.appendChild(who);
      var body = document.createElement("span");
      body.className = "msg-text";
      body.textContent = message.text || "";
      item.appendChild(body);
      var href = safeHref(message.link);
      if (href) {
        var link = document.createElement("a");
        link.href = href;
        link.textContent = " 查看详情";
        item.appendChild(link);
      }
      if (message.buttons && message.buttons.length) {
        var group = document.createElement("div");
        group.className = "quick";
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", "快捷回复");
        message.buttons.forEach(function (button) {
          var b = document.createElement("button");
          b.type = "button";
          b.textContent = button.title;
          b.addEventListener("click", function () { send(button.payload, button.title); });
          group.appendChild(b);
        });
        item.appendChild(group);
      }
      log.appendChild(item);
    }
    item.scrollIntoView({ block: "end" });
  }

  function bubbleFor(text) {
    var item = document.createElement("li");
    var who = document.createElement("span");
    who.className = "msg-who";
    who.textContent = WHO.applicant;
    var body = document.createElement("span");
    body.className = "msg-text";
    body.textContent = text;
    item.appendChild(who);
    item.appendChild(body);
    item.className = "msg msg-applicant msg-pending";
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  function confirmBubble(bubble, id) {
    if (!id) { return; }
    bubble.classList.remove("msg-pending");
    bubble.dataset.id = id;
    shown[id] = true;
    lastId = Math.max(lastId, id);
  }

  function send(text, shownText) {
    text = (text || "").trim();
    if (!text || sending) { return; }
    if (text.length > 1000) { setStatus("消息太长了（最多 1000 字），请分几次发送。"); return; }
    sending = true;
    sendButton.disabled = true;
    setStatus("");
    var bubble = bubbleFor(shownText || text);
    var payload = { text: text };
    if (conversationId) { payload.conversation_id = conversationId; }
    fetch("/api/chat/messages", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      var data = result.data || {};
      if (data.conversation_id) { remember(data.conversation_id); }
      if (result.status === 200) {
        confirmBubble(bubble, data.message_id);
        data.messages.forEach(function (m) { render(m); });
        setStatus(data.handoff ? "已转人工服务，工作人员会在这里回复您。" : "");
      } else if (result.status === 503) {
        confirmBubble(bubble, data.message_id);
        setStatus(data.error.message);
      } else {
        bubble.remove();
        if (!shownText) { input.value = text; }
        setStatus(data.error ? data.error.message : "发送失败，请稍后再试。");
      }
    }).catch(function () {
      bubble.remove();
      if (!shownText) { input.value = text; }
      setStatus("网络连接失败，消息没有发出，请检查网络后重试。");
    }).then(function () {
      sending = false;
      sendButton.disabled = false;
    });
  }

  function poll() {
    if (!conversationId || sending) { window.setTimeout(poll, POLL_MS); return; }
    fetch("/api/chat/" + encodeURIComponent(conversationId) + "/messages?after=" + lastId)
      .then(function (response) {
        if (response.status === 404) {
          window.localStorage.removeItem(STORAGE_KEY);
          conversationId = null;
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) { return; }
        data.messages.forEach(function (m) { if (!sending) { render(m); } });
        if (data.handoff) { setStatus("已转人工服务，工作人员会在这里回复您。"); }
      })
      .catch(function () { /* offline for a moment: the next poll catches up */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  if (conversationId) { remember(conversationId); }
  poll();
}());

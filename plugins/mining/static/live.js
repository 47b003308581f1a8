// The live monitor: every 2 s, read the op from live.json and redraw who is where.
// Names are set with textContent, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var feed = root.getAttribute("data-feed");
  var PERIOD = 2000;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function drawChannels(channels) {
    var box = document.getElementById("live-channels");
    var fresh = document.createDocumentFragment();
    channels.forEach(function (c) {
      var div = el("div", "channel");
      div.setAttribute("data-channel", c.id);
      var head = el("h3", "", c.name + " ");
      head.appendChild(el("span", "count", "(" + c.members.length + ")"));
      div.appendChild(head);
      if (c.members.length) {
        var ul = el("ul");
        c.members.forEach(function (m) {
          var li = el("li");
          li.setAttribute("data-user", m.id);
          li.appendChild(el("span", "name", m.name));
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "time", m.time));
          ul.appendChild(li);
        });
        div.appendChild(ul);
      } else {
        div.appendChild(el("p", "empty", "nobody"));
      }
      fresh.appendChild(div);
    });
    box.replaceChildren(fresh);
  }

  function drawPeople(people) {
    var body = document.getElementById("live-people");
    var fresh = document.createDocumentFragment();
    people.forEach(function (p) {
      var tr = el("tr");
      tr.setAttribute("data-user", p.id);
      tr.appendChild(el("td", "", p.name));
      tr.appendChild(el("td", "num", p.time));
      tr.appendChild(el("td", "", p.in_channel ? "in channel" : "left"));
      fresh.appendChild(tr);
    });
    body.replaceChildren(fresh);
  }

  function draw(data) {
    drawChannels(data.channels);
    drawPeople(data.participants);
    document.getElementById("live-count").textContent = String(data.in_voice);
    var at = document.getElementById("live-at");
    at.setAttribute("datetime", data.at);
    at.textContent = data.at.replace("T", " ").replace(/\.\d+/, "").replace("+00:00", " UTC");
    var status = document.getElementById("live-status");
    status.textContent = data.status;
    status.className = "status status-" + data.status;
    root.setAttribute("data-live", data.live ? "yes" : "no");
  }

  function poll() {
    fetch(feed, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        document.getElementById("live-problem").hidden = true;
        draw(data);
        if (data.live) { window.setTimeout(poll, PERIOD); }
      })
      .catch(function () {
        document.getElementById("live-problem").hidden = false;
        window.setTimeout(poll, PERIOD);
      });
  }

  if (root.getAttribute("data-live") === "yes") { window.setTimeout(poll, PERIOD); }
})();

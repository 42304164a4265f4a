// Sluice console (docs/console.md). Plain JS, no build step. Every action is an AWS request that
// the server signs as the logged-in user and runs through the same dispatcher as the API; the
// page signs nothing and keeps no secret (the session is an HttpOnly cookie).
"use strict";

let session = null;
let clockSkew = 0; // server clock minus the browser's (test mode moves the server's clock)
const $ = (sel) => document.querySelector(sel);

// ---- DOM ------------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
function field(label, input) {
  const id = input.id || "f-" + Math.random().toString(36).slice(2);
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}
function say(text, kind = "ok") {
  const box = $("#status");
  box.replaceChildren(h("p", { class: "msg " + kind }, text));
}
function sayError(e) { say(e.message || String(e), "error"); }
function clearStatus() { $("#status").replaceChildren(); }
function ago(ms) {
  if (ms === null || ms === undefined) return "—";
  const s = Math.round(ms / 1000);
  if (s < 120) return s + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  if (s < 172800) return Math.round(s / 3600) + " h";
  return Math.round(s / 86400) + " d";
}
function pretty(body) {
  try { return JSON.stringify(JSON.parse(body), null, 2); } catch { return body; }
}
function time(ms) { return new Date(Number(ms)).toISOString().replace("T", " ").replace(".000Z", "Z"); }

// ---- the server -----------------------------------------------------------------------------
class AwsError extends Error {
  constructor(code, message, status) { super(code + ": " + message); this.code = code; this.status = status; }
}
function region() { return $("#region").value.trim() || session.region; }
async function call(path, init = {}) {
  init.headers = Object.assign({ "X-Sluice-Csrf": session ? session.csrf : "" }, init.headers || {});
  init.credentials = "same-origin";
  const r = await fetch(path, init);
  if (r.status === 401 || (r.status === 403 && path !== "/console/api/aws")) {
    const j = await r.json().catch(() => ({}));
    if (j.error === "LoginRequired" || j.error === "InvalidCsrfToken") { await start(); }
    throw new AwsError(j.error || r.status, j.message || r.statusText, r.status);
  }
  return r;
}
const JSON_TARGETS = { sqs: "AmazonSQS", monitoring: "GraniteServiceVersion20100801" };
// An AWS request: SQS and CloudWatch in AWS JSON 1.0, the others (SNS) in Query (XML answers).
async function aws(service, action, params = {}) {
  const headers = { "X-Sluice-Service": service, "X-Sluice-Region": region() };
  let body;
  if (JSON_TARGETS[service]) {
    headers["Content-Type"] = "application/x-amz-json-1.0";
    headers["X-Amz-Target"] = JSON_TARGETS[service] + "." + action;
    body = JSON.stringify(params);
  } else {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    const form = new URLSearchParams({ Action: action, Version: "2010-03-31" });
    for (const [k, v] of Object.entries(params)) form.append(k, v);
    body = form.toString();
  }
  const r = await call("/console/api/aws", { method: "POST", headers, body });
  const text = await r.text();
  if (JSON_TARGETS[service]) {
    const j = text ? JSON.parse(text) : {};
    if (!r.ok) throw new AwsError((j.__type || "Error").split("#").pop(), j.message || j.Message || "", r.status);
    return j;
  }
  const doc = new DOMParser().parseFromString(text, "application/xml");
  if (!r.ok) {
    const code = doc.querySelector("Error > Code");
    const msg = doc.querySelector("Error > Message");
    throw new AwsError(code ? code.textContent : r.status, msg ? msg.textContent : "", r.status);
  }
  return doc;
}
const xmlAll = (doc, sel) => [...doc.querySelectorAll(sel)].map((e) => e.textContent);
function xmlEntries(doc, sel) {
  const out = {};
  for (const e of doc.querySelectorAll(sel + " > entry")) {
    out[e.querySelector("key").textContent] = e.querySelector("value").textContent;
  }
  return out;
}
async function peek(name, max = 10) {
  const q = new URLSearchParams({ name, max: String(max) });
  const r = await call("/console/api/peek?" + q, { headers: { "X-Sluice-Region": region() } });
  const j = await r.json();
  if (!r.ok) throw new AwsError(j.error, j.message, r.status);
  return j;
}
const queueName = (url) => url.split("/").pop();

// ---- charts (SVG) ---------------------------------------------------------------------------
const COLORS = ["#0b5cad", "#b42318", "#1a7f37", "#9a6700", "#6e40c9", "#0e7490"];
function lineChart(title, series, startMs, endMs) {
  const W = 300, H = 120, L = 30, B = 16;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (t) => L + ((t - startMs) / Math.max(1, endMs - startMs)) * (W - L - 4);
  const y = (v) => H - B - (v / max) * (H - B - 8);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  const total = series.map((s) => `${s.label}: ${s.values.reduce((a, b) => a + b, 0)}`).join(", ");
  svg.setAttribute("aria-label", `${title}: ${total || "no data"}`);
  const mk = (tag, attrs, text) => {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
  };
  mk("line", { x1: L, y1: H - B, x2: W, y2: H - B, class: "axis" });
  mk("line", { x1: L, y1: 4, x2: L, y2: H - B, class: "axis" });
  mk("text", { x: 2, y: 12 }, String(Math.round(max * 100) / 100));
  mk("text", { x: 2, y: H - B }, "0");
  mk("text", { x: L, y: H - 2 }, new Date(startMs).toISOString().slice(11, 16));
  mk("text", { x: W - 30, y: H - 2 }, new Date(endMs).toISOString().slice(11, 16));
  series.forEach((s, i) => {
    const pts = s.timestamps.map((t, j) => [t, s.values[j]]).sort((a, b) => a[0] - b[0]);
    if (pts.length === 0) return;
    mk("polyline", { class: "line", stroke: COLORS[i % COLORS.length],
      points: pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ") });
  });
  const legend = h("p", { class: "muted" }, series.map((s, i) =>
    h("span", { class: "c" + (i % COLORS.length) }, "■ ", s.label, " ")));
  return h("figure", { class: "chart" }, h("figcaption", {}, title), svg, legend);
}
// GetMetricData for `metrics` ([{label, namespace, name, dimensions, stat}]) over `minutes`.
async function metricSeries(metrics, minutes = 60, period = 60) {
  const end = Math.floor((Date.now() + clockSkew) / 1000);
  const start = end - minutes * 60;
  const out = await aws("monitoring", "GetMetricData", {
    StartTime: start, EndTime: end,
    MetricDataQueries: metrics.map((m, i) => ({ Id: "m" + i, Label: m.label, MetricStat: {
      Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: m.dimensions },
      Period: m.period || period, Stat: m.stat || "Sum" } })),
  });
  const series = metrics.map((m, i) => {
    const r = (out.MetricDataResults || []).find((x) => x.Id === "m" + i) || {};
    return { label: m.label, values: r.Values || [],
      timestamps: (r.Timestamps || []).map((t) => (typeof t === "number" ? t * 1000 : Date.parse(t))) };
  });
  return { series, startMs: start * 1000, endMs: end * 1000 };
}

// ---- pages ----------------------------------------------------------------------------------
const view = () => $("#view");
function page(title, ...content) {
  view().replaceChildren(h("h1", { tabindex: "-1", id: "page-title" }, title), ...content);
  $("#page-title").focus();
}
function table(headers, rows, caption) {
  return h("div", { class: "scroll" }, h("table", {},
    caption ? h("caption", { class: "muted" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((c) =>
      h("th", { scope: "col", class: /^(Visible|In flight|Delayed|Receives|Moved)/.test(c) ? "num" : null }, c)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length }, "None.")))));
}

async function queuesPage() {
  page("Queues in " + region());
  const name = h("input", { name: "QueueName", required: true, pattern: "[A-Za-z0-9_-]{1,80}(\\.fifo)?", spellcheck: "false" });
  const fifo = h("input", { type: "checkbox", name: "fifo" });
  const form = h("form", { class: "inline", "aria-label": "Create a queue", onsubmit: async (e) => {
    e.preventDefault();
    let n = name.value.trim();
    const attrs = {};
    if (fifo.checked) { if (!n.endsWith(".fifo")) n += ".fifo"; attrs.FifoQueue = "true"; }
    try {
      await aws("sqs", "CreateQueue", { QueueName: n, Attributes: attrs });
      say("Created queue " + n);
      await queuesPage();
    } catch (err) { sayError(err); }
  } }, field("New queue name", name), h("div", { class: "field" }, h("label", {}, fifo, " FIFO")),
  h("button", { type: "submit", class: "primary" }, "Create queue"));
  const out = await aws("sqs", "ListQueues", { MaxResults: 1000 });
  const urls = out.QueueUrls || [];
  const rows = await Promise.all(urls.map(async (url) => {
    const n = queueName(url);
    let a = {}, oldest = null;
    try { a = (await aws("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] })).Attributes || {}; } catch {}
    try { oldest = (await peek(n, 1)).OldestMessageAgeMs; } catch {}
    return h("tr", {},
      h("th", { scope: "row" }, h("a", { href: "#/queue/" + encodeURIComponent(n) }, n)),
      h("td", { class: "num" }, a.ApproximateNumberOfMessages ?? "—"),
      h("td", { class: "num" }, a.ApproximateNumberOfMessagesNotVisible ?? "—"),
      h("td", { class: "num" }, a.ApproximateNumberOfMessagesDelayed ?? "—"),
      h("td", {}, ago(oldest)),
      h("td", {}, a.RedrivePolicy ? "→ " + JSON.parse(a.RedrivePolicy).deadLetterTargetArn.split(":").pop() : ""));
  }));
  page("Queues in " + region(), form,
    table(["Queue", "Visible", "In flight", "Delayed", "Oldest", "Dead-letter queue"], rows,
      `${urls.length} queue(s) of account ${session.account}`));
}

const EDITABLE = ["VisibilityTimeout", "DelaySeconds", "MessageRetentionPeriod", "MaximumMessageSize",
  "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "RedriveAllowPolicy", "Policy"];

async function queuePage(name) {
  const { QueueUrl: url } = await aws("sqs", "GetQueueUrl", { QueueName: name });
  const { Attributes: a = {} } = await aws("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] });
  const sections = [];
  sections.push(h("p", { class: "muted" }, url));
  sections.push(h("div", { class: "actions" },
    h("button", { type: "button", onclick: () => queuePage(name).catch(sayError) }, "Refresh"),
    h("button", { type: "button", class: "danger", onclick: async () => {
      if (!confirm(`Purge every message of ${name}? This cannot be undone.`)) return;
      try { await aws("sqs", "PurgeQueue", { QueueUrl: url }); say("Purged " + name); await queuePage(name); }
      catch (e) { sayError(e); }
    } }, "Purge"),
    h("button", { type: "button", class: "danger", onclick: async () => {
      if (!confirm(`Delete the queue ${name} and its messages?`)) return;
      try { await aws("sqs", "DeleteQueue", { QueueUrl: url }); say("Deleted " + name); location.hash = "#/queues"; }
      catch (e) { sayError(e); }
    } }, "Delete queue")));
  sections.push(h("dl", { class: "attrs", "aria-label": "Counts" },
    [["Visible", a.ApproximateNumberOfMessages], ["In flight", a.ApproximateNumberOfMessagesNotVisible],
      ["Delayed", a.ApproximateNumberOfMessagesDelayed]].map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")])));

  // Metrics.
  const charts = h("div", { class: "charts" }, h("p", { class: "muted" }, "Loading metrics…"));
  sections.push(h("h2", {}, "Per minute, last hour"), charts);
  // Messages.
  const msgs = h("div", {});
  sections.push(h("h2", {}, "Messages (peek: nothing is received)"), msgs);
  const body = h("textarea", { name: "MessageBody", required: true }, '{"hello": "world"}');
  const group = a.FifoQueue === "true" ? h("input", { name: "MessageGroupId", value: "console" }) : null;
  sections.push(h("form", { class: "stack", "aria-label": "Send a test message", onsubmit: async (e) => {
    e.preventDefault();
    const p = { QueueUrl: url, MessageBody: body.value };
    if (group) { p.MessageGroupId = group.value; p.MessageDeduplicationId = String(Date.now()); }
    try { const r = await aws("sqs", "SendMessage", p); say("Sent message " + r.MessageId); await showMessages(); }
    catch (err) { sayError(err); }
  } }, h("h2", {}, "Send a test message"), field("Message body", body), group ? field("Message group ID", group) : null,
  h("div", {}, h("button", { type: "submit", class: "primary" }, "Send message"))));
  // Dead-letter queue.
  const dlq = h("div", {});
  sections.push(dlq);
  // Attributes.
  const inputs = {};
  sections.push(h("form", { class: "stack", "aria-label": "Queue attributes", onsubmit: async (e) => {
    e.preventDefault();
    const changed = {};
    for (const k of EDITABLE) if ((a[k] ?? "") !== inputs[k].value) changed[k] = inputs[k].value;
    if (!Object.keys(changed).length) return say("Nothing changed");
    try { await aws("sqs", "SetQueueAttributes", { QueueUrl: url, Attributes: changed });
      say("Saved " + Object.keys(changed).join(", ")); await queuePage(name); }
    catch (err) { sayError(err); }
  } }, h("h2", {}, "Attributes and policy"),
  EDITABLE.map((k) => {
    const long = /Policy$/.test(k);
    inputs[k] = long ? h("textarea", { name: k, spellcheck: "false" }, k === "Policy" && a[k] ? pretty(a[k]) : a[k] ?? "")
      : h("input", { name: k, value: a[k] ?? "" });
    if (k === "Policy" && a[k]) inputs[k].value = a[k];
    return field(k, inputs[k]);
  }),
  h("div", {}, h("button", { type: "submit", class: "primary" }, "Save attributes"))));
  sections.push(h("details", {}, h("summary", {}, "All attributes"),
    h("dl", { class: "attrs" }, Object.entries(a).sort().map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))));
  page(name, ...sections);

  async function showMessages() {
    try {
      const p = await peek(name, 10);
      const rows = p.messages.map((m) => h("tr", {},
        h("td", {}, h("code", {}, m.MessageId), h("br"), h("span", { class: "muted" }, m.State.replace("_", " "))),
        h("td", { class: "num" }, m.Attributes.ApproximateReceiveCount),
        h("td", {}, time(m.Attributes.SentTimestamp)),
        h("td", {}, h("pre", {}, pretty(m.Body)),
          Object.keys(m.MessageAttributes).length ? h("details", {}, h("summary", {}, "Message attributes"),
            h("pre", {}, JSON.stringify(m.MessageAttributes, null, 2))) : null,
          h("details", {}, h("summary", {}, "System attributes"), h("pre", {}, JSON.stringify(m.Attributes, null, 2))))));
      msgs.replaceChildren(h("p", {}, "Oldest message: ", ago(p.OldestMessageAgeMs)),
        table(["Message", "Receives", "Sent", "Body"], rows, `the first ${p.messages.length} message(s), oldest first`));
    } catch (e) { msgs.replaceChildren(h("p", { class: "muted" }, "Cannot peek: " + e.message)); }
  }
  showMessages();
  metricSeries(["NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted"].map((m) => ({
    label: m.replace("NumberOfMessages", ""), namespace: "AWS/SQS", name: m, dimensions: [{ Name: "QueueName", Value: name }] })))
    .then(({ series, startMs, endMs }) => charts.replaceChildren(...series.map((s) => lineChart(s.label, [s], startMs, endMs))))
    .catch((e) => charts.replaceChildren(h("p", { class: "muted" }, "No metrics: " + e.message)));
  deadLetter(name, url, a, dlq).catch((e) => dlq.replaceChildren(h("p", { class: "muted" }, e.message)));
}

async function deadLetter(name, url, a, box) {
  const { queueUrls: sources = [] } = await aws("sqs", "ListDeadLetterSourceQueues", { QueueUrl: url });
  if (!sources.length) return;
  const choice = h("select", { name: "destination" }, h("option", { value: "" }, "each message's source queue"));
  const all = (await aws("sqs", "ListQueues", { MaxResults: 1000 })).QueueUrls || [];
  for (const u of all) if (u !== url) choice.append(h("option", { value: u }, queueName(u)));
  const tasks = h("div", {});
  async function showTasks() {
    const { Results: r = [] } = await aws("sqs", "ListMessageMoveTasks", { SourceArn: a.QueueArn, MaxResults: 10 });
    tasks.replaceChildren(table(["Task", "Status", "Moved", "To move", "Destination"], r.map((t) => h("tr", {},
      h("td", {}, time(t.StartedTimestamp)), h("td", {}, t.Status, t.FailureReason ? " (" + t.FailureReason + ")" : ""),
      h("td", { class: "num" }, t.ApproximateNumberOfMessagesMoved ?? 0),
      h("td", { class: "num" }, t.ApproximateNumberOfMessagesToMove ?? "—"),
      h("td", {}, t.DestinationArn ? t.DestinationArn.split(":").pop() : "source")))));
  }
  box.replaceChildren(h("h2", {}, "Dead-letter queue"),
    h("p", {}, "Sources: ", sources.map((u, i) => [i ? ", " : "", h("a", { href: "#/queue/" + encodeURIComponent(queueName(u)) }, queueName(u))])),
    h("form", { class: "inline", "aria-label": "Redrive", onsubmit: async (e) => {
      e.preventDefault();
      const p = { SourceArn: a.QueueArn };
      if (choice.value) p.DestinationArn = (await aws("sqs", "GetQueueAttributes", { QueueUrl: choice.value, AttributeNames: ["QueueArn"] })).Attributes.QueueArn;
      try { await aws("sqs", "StartMessageMoveTask", p); say("Redrive started"); await showTasks(); }
      catch (err) { sayError(err); }
    } }, field("Redrive to", choice), h("button", { type: "submit", class: "primary" }, "Start redrive"),
    h("button", { type: "button", onclick: () => showTasks().catch(sayError) }, "Refresh progress")),
    h("h3", {}, "Message move tasks"), tasks);
  await showTasks();
}

async function topicsPage() {
  const doc = await aws("sns", "ListTopics");
  const arns = xmlAll(doc, "Topics > member > TopicArn");
  page("Topics in " + region(), table(["Topic", "ARN"], arns.map((arn) => h("tr", {},
    h("th", { scope: "row" }, h("a", { href: "#/topic/" + encodeURIComponent(arn) }, arn.split(":").pop())),
    h("td", {}, h("code", {}, arn))))));
}

async function topicPage(arn) {
  const attrs = xmlEntries(await aws("sns", "GetTopicAttributes", { TopicArn: arn }), "Attributes");
  const subsDoc = await aws("sns", "ListSubscriptionsByTopic", { TopicArn: arn });
  const subs = [...subsDoc.querySelectorAll("Subscriptions > member")].map((m) => ({
    arn: m.querySelector("SubscriptionArn").textContent, protocol: m.querySelector("Protocol").textContent,
    endpoint: m.querySelector("Endpoint").textContent }));
  const rows = await Promise.all(subs.map(async (s) => {
    let policy = "";
    if (s.arn.startsWith("arn:")) {
      try { policy = xmlEntries(await aws("sns", "GetSubscriptionAttributes", { SubscriptionArn: s.arn }), "Attributes").FilterPolicy || ""; } catch {}
    }
    return h("tr", {}, h("td", {}, s.protocol), h("td", {}, s.endpoint),
      h("td", {}, policy ? h("pre", {}, pretty(policy)) : h("span", { class: "muted" }, "none")));
  }));
  const message = h("textarea", { name: "Message", required: true }, '{"hello": "world"}');
  const subject = h("input", { name: "Subject" });
  page(arn.split(":").pop(), h("p", { class: "muted" }, arn),
    h("h2", {}, "Subscriptions"), table(["Protocol", "Endpoint", "Filter policy"], rows),
    h("form", { class: "stack", "aria-label": "Publish a test message", onsubmit: async (e) => {
      e.preventDefault();
      const p = { TopicArn: arn, Message: message.value };
      if (subject.value) p.Subject = subject.value;
      try { const d = await aws("sns", "Publish", p); say("Published " + xmlAll(d, "MessageId")[0]); }
      catch (err) { sayError(err); }
    } }, h("h2", {}, "Publish a test message"), field("Message", message), field("Subject", subject),
    h("div", {}, h("button", { type: "submit", class: "primary" }, "Publish"))),
    h("details", {}, h("summary", {}, "Attributes"),
      h("dl", { class: "attrs" }, Object.entries(attrs).sort().map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]))));
}

async function alarmsPage() {
  const { MetricAlarms: alarms = [] } = await aws("monitoring", "DescribeAlarms", { MaxRecords: 100 });
  page("Alarms in " + region(), table(["Alarm", "State", "Metric", "Reason"], alarms.map((a) => h("tr", {},
    h("th", { scope: "row" }, h("a", { href: "#/alarm/" + encodeURIComponent(a.AlarmName) }, a.AlarmName)),
    h("td", { class: "state-" + a.StateValue }, a.StateValue),
    h("td", {}, `${a.Namespace || ""} ${a.MetricName || ""} ${a.ComparisonOperator || ""} ${a.Threshold ?? ""}`),
    h("td", {}, a.StateReason || "")))));
}

async function alarmPage(name) {
  const { MetricAlarms: [a] = [] } = await aws("monitoring", "DescribeAlarms", { AlarmNames: [name] });
  const { AlarmHistoryItems: items = [] } = await aws("monitoring", "DescribeAlarmHistory", { AlarmName: name, MaxRecords: 50 });
  page(name, a ? h("p", {}, "State: ", h("strong", { class: "state-" + a.StateValue }, a.StateValue), " — ", a.StateReason || "") : null,
    h("h2", {}, "History"), table(["Time", "Type", "Summary"], items.map((i) => h("tr", {},
      h("td", {}, typeof i.Timestamp === "number" ? time(i.Timestamp * 1000) : i.Timestamp),
      h("td", {}, i.HistoryItemType), h("td", {}, i.HistorySummary)))));
}

async function dashboardsPage() {
  const { DashboardEntries: list = [] } = await aws("monitoring", "ListDashboards", {});
  page("Dashboards in " + region(), table(["Dashboard"], list.map((d) => h("tr", {},
    h("th", { scope: "row" }, h("a", { href: "#/dashboard/" + encodeURIComponent(d.DashboardName) }, d.DashboardName))))));
}

// Metric widgets' "metrics": [ns, name, dimName, dimValue, ..., {options}], "." repeating the row above.
function widgetMetrics(p) {
  const out = [];
  let prev = [];
  for (const row of p.metrics || []) {
    const opts = typeof row[row.length - 1] === "object" ? row[row.length - 1] : {};
    const parts = row.filter((x) => typeof x !== "object").map((x, i) => (x === "." || x === "..." ? prev[i] : x));
    prev = parts;
    const dimensions = [];
    for (let i = 2; i + 1 < parts.length; i += 2) dimensions.push({ Name: parts[i], Value: parts[i + 1] });
    out.push({ label: opts.label || `${parts[1]} ${dimensions.map((d) => d.Value).join(" ")}`, namespace: parts[0],
      name: parts[1], dimensions, stat: opts.stat || p.stat || "Average", period: opts.period || p.period || 300 });
  }
  return out;
}

async function dashboardPage(name) {
  const d = await aws("monitoring", "GetDashboard", { DashboardName: name });
  const body = JSON.parse(d.DashboardBody || "{}");
  const box = h("div", { class: "charts" });
  page(name, box);
  for (const w of body.widgets || []) {
    const p = w.properties || {};
    if (w.type === "text") { box.append(h("div", { class: "chart" }, h("pre", {}, p.markdown || ""))); continue; }
    if (w.type !== "metric") continue;
    const holder = h("div", {}, h("p", { class: "muted" }, "Loading " + (p.title || "widget") + "…"));
    box.append(holder);
    metricSeries(widgetMetrics(p), 180).then(({ series, startMs, endMs }) =>
      holder.replaceChildren(lineChart(p.title || "Metrics", series, startMs, endMs)))
      .catch((e) => holder.replaceChildren(h("p", { class: "muted" }, e.message)));
  }
}

// ---- routing and session --------------------------------------------------------------------
async function route() {
  if (!session || (session.loginRequired && !session.loggedIn)) return;
  clearStatus();
  const [, what, arg] = (location.hash || "#/queues").match(/^#\/([^/]*)\/?(.*)$/) || [];
  const a = decodeURIComponent(arg || "");
  for (const link of document.querySelectorAll("nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === "#/" + what + "s" || link.getAttribute("href") === "#/" + what);
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  try {
    if (what === "queue" && a) await queuePage(a);
    else if (what === "topics") await topicsPage();
    else if (what === "topic" && a) await topicPage(a);
    else if (what === "alarms") await alarmsPage();
    else if (what === "alarm" && a) await alarmPage(a);
    else if (what === "dashboards") await dashboardsPage();
    else if (what === "dashboard" && a) await dashboardPage(a);
    else await queuesPage();
  } catch (e) { page("Error"); sayError(e); }
}

async function start() {
  const r = await fetch("/console/api/session", { credentials: "same-origin" });
  const j = await r.json();
  if (!r.ok) { session = null; $("#view").replaceChildren(h("h1", {}, "Console unavailable"), h("p", {}, j.message)); return; }
  session = j;
  clockSkew = (j.serverTimeMs || Date.now()) - Date.now();
  if (!$("#region").value) $("#region").value = localStorage.getItem("sluice.region") || j.region;
  const needLogin = j.loginRequired && !j.loggedIn;
  $("#login").hidden = !needLogin;
  $("#nav").hidden = needLogin;
  $("#who").hidden = needLogin;
  $("#logout").hidden = !j.loggedIn;
  $("#identity").textContent = j.loggedIn ? j.identity : `account ${j.account} (no login: loopback, auth off)`;
  if (needLogin) { view().replaceChildren(); $("#access-key").focus(); }
}

document.addEventListener("DOMContentLoaded", async () => {
  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = new URLSearchParams(new FormData(e.target)).toString();
    try {
      const r = await call("/console/api/login", { method: "POST", body,
        headers: { "Content-Type": "application/x-www-form-urlencoded" } });
      const j = await r.json();
      if (!r.ok) throw new AwsError(j.error, j.message, r.status);
      $("#secret-key").value = "";
      await start();
      say("Logged in as " + session.identity);
      await route();
    } catch (err) { sayError(err); }
  });
  $("#logout").addEventListener("click", async () => {
    await call("/console/api/logout", { method: "POST" }).catch(() => {});
    session = null;
    await start();
  });
  $("#region").addEventListener("change", () => { localStorage.setItem("sluice.region", region()); route(); });
  window.addEventListener("hashchange", route);
  await start();
  await route();
});

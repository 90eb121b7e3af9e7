// SealDesk signing page and phone pad: vanilla JavaScript, no external asset.
(function () {
  "use strict";
  var T = {
    zh: {},
    en: {
      "title": "Sign a contract", "login.h": "Verify it is you",
      "login.p": "You have a contract to sign. To protect its content, get the one-time code sent to your phone or e-mail and enter it.",
      "code.ph": "6-digit code", "code.send": "Get code", "login.go": "Next", "from": "From", "you": "Signer",
      "deadline": "Deadline", "counter": "Signed", "goto": "Go to where you sign", "closed.h": "Cannot continue", "decline": "Decline", "sign": "Sign",
      "sign.h": "Sign", "sign.draw": "Draw your signature below", "clear": "Clear", "sign.seal": "Choose the seal to apply",
      "sealcode.ph": "Seal code", "sealcode.h": "Seal code (sent to your phone; one code covers all your seal boxes in this contract)", "sealcode.send": "Get seal code", "sign.confirm": "Enter the code to confirm",
      "cancel": "Cancel", "sign.go": "Confirm and sign", "decline.h": "Decline",
      "decline.p": "Give a reason (required, at most 200 characters); the sender will be told.", "decline.go": "Decline the contract",
      "pad.title": "Add a handwritten signature",
      "pad.p": "Sign here with your finger, then tap Done: the signature appears on your computer.",
      "done": "Done", "pad.ok": "Signature sent", "pad.okp": "Look at your computer. This QR code is used up.",
      "box.signature": "Sign here", "box.seal": "Seal here", "box.date": "Date", "box.crosspage": "Cross-page seal",
      "signed.h": "Signed", "signed.p": "You have signed. The sender and the other parties are told; the completed contract is sent to everyone when all have signed.",
      "declined.h": "Declined", "declined.p": "You declined the contract. The sender has been told.",
      "sent": "Code sent to ", "loading": "Loading page…", "page": "Page", "working": "Signing… this takes a few seconds",
      "need.draw": "Please draw your signature first", "need.code": "Please enter the 6-digit code", "need.reason": "Please give a reason",
      "need.seal": "Please choose a seal", "net": "Network error, please try again",
      "logo.alt": "Logo of the sending company"
    }
  };
  var ZH = {
    "box.signature": "在此签名", "box.seal": "在此盖章", "box.date": "签署日期", "box.crosspage": "骑缝章",
    "signed.h": "签署成功", "signed.p": "您已完成签署。发起人和其他签署方会收到通知；全部签署完成后，每一方都会收到签署完成的合同。",
    "declined.h": "已拒签", "declined.p": "您已拒签该合同，发起人已收到通知。",
    "sent": "验证码已发送至 ", "loading": "正在加载页面…", "page": "第", "working": "正在签署，请稍候…",
    "need.draw": "请先在签名区手写签名", "need.code": "请输入 6 位验证码", "need.reason": "请填写拒签原因",
    "need.seal": "请选择要加盖的印章", "net": "网络错误，请重试"
  };
  var lang = (localStorage.getItem("sd-lang") || "zh");
  function t(k) { return (lang === "en" && T.en[k]) || ZH[k] || k; }
  var zhText = {};
  function applyLang() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      var k = el.getAttribute("data-i18n");
      if (!(k in zhText)) zhText[k] = el.textContent;
      el.textContent = lang === "en" && T.en[k] ? T.en[k] : zhText[k];
    });
    document.querySelectorAll("[data-i18n-ph]").forEach(function (el) {
      var k = el.getAttribute("data-i18n-ph");
      if (!(("ph:" + k) in zhText)) zhText["ph:" + k] = el.placeholder;
      el.placeholder = lang === "en" && T.en[k] ? T.en[k] : zhText["ph:" + k];
    });
    document.querySelectorAll("[data-i18n-alt]").forEach(function (el) {
      var k = el.getAttribute("data-i18n-alt");
      if (!(("alt:" + k) in zhText)) zhText["alt:" + k] = el.alt;
      el.alt = lang === "en" && T.en[k] ? T.en[k] : zhText["alt:" + k];
    });
    var b = $("lang");
    if (b) b.textContent = lang === "en" ? "中文" : "English";
    document.querySelectorAll(".box").forEach(function (el) { el.textContent = t("box." + el.dataset.kind); });
  }
  function $(id) { return document.getElementById(id); }
  function show(id, on) { var el = $(id); if (el) el.hidden = !on; }
  function msg(id, text, cls) { var el = $(id); el.textContent = text || ""; el.className = "msg" + (cls ? " " + cls : ""); }

  function call(method, path, body) {
    var opts = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var m = data && data.error ? data.error.message : (r.status === 413 ? "请求过大：签名数据不能超过 2 MB" : t("net"));
          var err = new Error(m); err.status = r.status; err.code = data && data.error ? data.error.code : ""; throw err;
        }
        return data;
      });
    });
  }

  // --- the drawing pad: strokes in millimetres, pointer events ------------------------------------
  function Pad(canvas) {
    var self = this, ctx = canvas.getContext("2d"), strokes = [], cur = null, t0 = 0;
    var MM = 25.4 / 96; // CSS pixel → mm
    function fit() {
      var r = canvas.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
      canvas.width = Math.round(r.width * dpr); canvas.height = Math.round(r.height * dpr);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0); redraw();
    }
    function pos(e) {
      var r = canvas.getBoundingClientRect();
      return { x: Math.min(Math.max(e.clientX - r.left, 0), r.width), y: Math.min(Math.max(e.clientY - r.top, 0), r.height) };
    }
    function redraw() {
      var r = canvas.getBoundingClientRect();
      ctx.clearRect(0, 0, r.width, r.height);
      ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111"; ctx.lineWidth = 3;
      strokes.forEach(function (s) {
        ctx.beginPath();
        s.forEach(function (p, i) { var x = p.x / MM, y = p.y / MM; if (i) ctx.lineTo(x, y); else { ctx.moveTo(x, y); ctx.lineTo(x + 0.1, y); } });
        ctx.stroke();
      });
    }
    canvas.addEventListener("pointerdown", function (e) {
      e.preventDefault(); canvas.setPointerCapture(e.pointerId);
      if (!strokes.length) t0 = e.timeStamp;
      var p = pos(e); cur = [{ x: p.x * MM, y: p.y * MM, t: Math.max(0, Math.round(e.timeStamp - t0)), p: e.pressure > 0 && e.pressure <= 1 && e.pointerType !== "mouse" ? e.pressure : 0 }];
      strokes.push(cur); redraw();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!cur) return;
      e.preventDefault();
      var last = cur[cur.length - 1], p = pos(e), tt = Math.max(last.t, Math.round(e.timeStamp - t0));
      cur.push({ x: p.x * MM, y: p.y * MM, t: tt, p: e.pressure > 0 && e.pressure <= 1 && e.pointerType !== "mouse" ? e.pressure : 0 });
      redraw();
    });
    function end() { cur = null; }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    window.addEventListener("resize", fit);
    self.fit = fit;
    self.clear = function () { strokes = []; cur = null; redraw(); };
    self.empty = function () { return strokes.length === 0; };
    self.json = function () {
      var r = canvas.getBoundingClientRect();
      return { v: 1, w: r.width * MM, h: r.height * MM, strokes: strokes.map(function (s) {
        return s.map(function (p) { var o = { x: +p.x.toFixed(2), y: +p.y.toFixed(2), t: p.t }; if (p.p) o.p = +p.p.toFixed(3); return o; });
      }) };
    };
    setTimeout(fit, 0);
  }

  function countdown(btn) {
    var n = 60, label = btn.textContent; btn.disabled = true;
    var iv = setInterval(function () { n--; btn.textContent = n + "s"; if (n <= 0) { clearInterval(iv); btn.disabled = false; btn.textContent = label; applyLang(); } }, 1000);
  }

  // --- the signing page ----------------------------------------------------------------------------
  function signPage() {
    var base = location.pathname.replace(/\/+$/, "");
    var state = null, pad = null, sealCodeID = "";
    function closed(m) { ["login", "doc", "done", "actions"].forEach(function (id) { show(id, false); }); show("closed", true); $("closed-p").textContent = m; }
    function load() {
      return call("GET", base + "/state").then(function (st) { state = st; render(); }, function (e) {
        if (e.status === 401) { show("login", true); show("doc", false); show("actions", false); return; }
        closed(e.message);
      });
    }
    function render() {
      show("login", false); show("doc", true);
      $("subject").textContent = "《" + state.subject + "》";
      $("sender").textContent = state.sender;
      $("me").textContent = state.company ? state.company + " · " + state.name : state.name;
      if (state.deadline) { $("deadline").textContent = new Date(state.deadline).toLocaleString(); show("deadline-row", true); }
      $("counter").textContent = state.signed + "/" + state.needed;
      show("goto", state.fields.length > 0 && state.your_turn);
      show("waiting", !state.your_turn); $("waiting").textContent = state.waiting || "";
      show("actions", state.your_turn);
      var pages = $("pages"); pages.textContent = "";
      var io = "IntersectionObserver" in window ? new IntersectionObserver(function (es) {
        es.forEach(function (en) { if (en.isIntersecting) { loadImg(en.target); io.unobserve(en.target); } });
      }, { rootMargin: "400px" }) : null;
      state.documents.forEach(function (d) {
        var h = document.createElement("h2"); h.textContent = d.name + "（" + d.pages + (lang === "en" ? " pages)" : " 页）"); pages.appendChild(h);
        for (var p = 1; p <= d.pages; p++) {
          var div = document.createElement("div"); div.className = "page"; div.id = "page-" + d.index + "-" + p;
          div.dataset.doc = d.index; div.dataset.page = p; div.style.maxWidth = "794px"; div.style.aspectRatio = "210 / 297";
          var ph = document.createElement("div"); ph.className = "ph"; ph.textContent = t("loading"); div.appendChild(ph);
          var no = document.createElement("span"); no.className = "no"; no.textContent = p + " / " + d.pages; div.appendChild(no);
          pages.appendChild(div);
          if (io && p > 1) io.observe(div); else loadImg(div);
        }
      });
      var sb = $("seal-block"), seals = $("seals");
      show("seal-block", state.needs_seal); seals.textContent = "";
      (state.seals || []).forEach(function (s, i) {
        var l = document.createElement("label"), r = document.createElement("input");
        r.type = "radio"; r.name = "seal"; r.value = s.enterprise_id + "/" + s.id; if (i === 0) r.checked = true;
        l.appendChild(r); l.appendChild(document.createTextNode(s.name)); seals.appendChild(l);
      });
      msg("seals-msg", state.seals_error || "", "warn");
      var onlySeal = state.needs_seal && state.fields.every(function (f) { return f.kind === "seal" || f.kind === "crosspage" || f.kind === "date"; });
      show("draw-block", !onlySeal);
      void sb;
    }
    function loadImg(div) {
      if (div.dataset.requested) return; // once per page (the observer and 点击开始签署 both ask)
      div.dataset.requested = "1";
      var img = new Image(); img.alt = "page " + div.dataset.page;
      img.onload = function () {
        var ph = div.querySelector(".ph"); if (ph) ph.remove();
        div.style.aspectRatio = img.naturalWidth + " / " + img.naturalHeight;
        div.insertBefore(img, div.firstChild); div.classList.add("loaded");
        var wpt = img.naturalWidth * 72 / 96, hpt = img.naturalHeight * 72 / 96;
        state.fields.forEach(function (f) {
          if (f.document != div.dataset.doc || f.page != div.dataset.page) return;
          var b = document.createElement("div"); b.className = "box" + (f.kind === "seal" || f.kind === "crosspage" ? " seal" : "");
          b.dataset.kind = f.kind; b.textContent = t("box." + f.kind);
          b.style.left = (f.rect[0] / wpt * 100) + "%"; b.style.width = ((f.rect[2] - f.rect[0]) / wpt * 100) + "%";
          b.style.top = ((hpt - f.rect[3]) / hpt * 100) + "%"; b.style.height = ((f.rect[3] - f.rect[1]) / hpt * 100) + "%";
          div.appendChild(b);
        });
      };
      img.onerror = function () { var ph = div.querySelector(".ph"); if (ph) ph.textContent = "页面加载失败"; };
      img.src = base + "/documents/" + div.dataset.doc + "/pages/" + div.dataset.page;
    }
    function sendCode(purpose, btn, msgID) {
      msg(msgID, "");
      call("POST", base + "/code", { purpose: purpose }).then(function (tk) { msg(msgID, t("sent") + tk.to, "ok"); countdown(btn); },
        function (e) { if (e.status === 410 || e.status === 423 || e.status === 404) closed(e.message); else msg(msgID, e.message); });
    }
    $("login-send").onclick = function () { sendCode("login", $("login-send"), "login-msg"); };
    $("login-go").onclick = function () {
      var c = $("login-code").value.trim();
      if (!/^\d{6}$/.test(c)) { msg("login-msg", t("need.code")); return; }
      call("POST", base + "/login", { code: c }).then(load, function (e) { if (e.code === "link_locked") closed(e.message); else msg("login-msg", e.message); });
    };
    document.querySelectorAll("[data-close]").forEach(function (b) { b.onclick = function () { show(b.getAttribute("data-close"), false); }; });
    $("sign-open").onclick = function () { show("sign-sheet", true); if (!pad) pad = new Pad($("pad")); else pad.fit(); msg("sign-msg", ""); };
    $("pad-clear").onclick = function () { if (pad) pad.clear(); };
    $("sign-send").onclick = function () { sendCode("sign", $("sign-send"), "sign-msg"); };
    function chosenSeal() { var r = document.querySelector("input[name=seal]:checked"); return r ? r.value.split("/") : null; }
    $("seal-send").onclick = function () {
      var s = chosenSeal(); if (!s) { msg("sign-msg", t("need.seal")); return; }
      call("POST", base + "/seal-code", { enterprise_id: s[0], seal_id: s[1] }).then(function (tk) {
        sealCodeID = tk.code_id; msg("sign-msg", t("sent") + tk.to, "ok"); countdown($("seal-send"));
      }, function (e) { msg("sign-msg", e.message); });
    };
    $("sign-go").onclick = function () {
      var body = { code: $("sign-code").value.trim() };
      if (!$("draw-block").hidden) { if (!pad || pad.empty()) { msg("sign-msg", t("need.draw")); return; } body.strokes = pad.json(); }
      if (state.needs_seal) {
        var s = chosenSeal(); if (!s) { msg("sign-msg", t("need.seal")); return; }
        body.seal_enterprise = s[0]; body.seal_id = s[1]; body.seal_code_id = sealCodeID; body.seal_code = $("seal-code").value.trim();
      }
      if (!/^\d{6}$/.test(body.code)) { msg("sign-msg", t("need.code")); return; }
      var go = $("sign-go"); go.disabled = true; msg("sign-msg", t("working"), "ok");
      call("POST", base + "/sign", body).then(function () {
        show("sign-sheet", false); show("doc", false); show("actions", false); show("done", true);
        $("done-h").textContent = t("signed.h"); $("done-p").textContent = t("signed.p"); document.body.dataset.result = "signed";
      }, function (e) { go.disabled = false; if (e.code === "link_locked") { show("sign-sheet", false); closed(e.message); } else msg("sign-msg", e.message); });
    };
    // 点击开始签署: jump to the first box (its page loads first if it has not yet).
    $("goto").onclick = function () {
      var f = state && state.fields[0]; if (!f) return;
      var div = $("page-" + f.document + "-" + f.page); if (!div) return;
      function jump(n) {
        var b = div.querySelector(".box");
        if (b) b.scrollIntoView({ block: "center" }); else if (n < 100) setTimeout(function () { jump(n + 1); }, 100);
      }
      loadImg(div); div.scrollIntoView({ block: "start" }); jump(0);
    };
    $("decline-open").onclick = function () { show("decline-sheet", true); msg("decline-msg", ""); };
    $("reason").oninput = function () { msg("decline-msg", ""); };
    $("decline-go").onclick = function () {
      var r = $("reason").value.trim(); if (!r) { msg("decline-msg", t("need.reason")); return; }
      call("POST", base + "/decline", { reason: r }).then(function () {
        show("decline-sheet", false); show("doc", false); show("actions", false); show("done", true);
        $("done-h").textContent = t("declined.h"); $("done-p").textContent = t("declined.p"); document.body.dataset.result = "declined";
      }, function (e) { msg("decline-msg", e.message); });
    };
    load();
  }

  // --- the phone pad -------------------------------------------------------------------------------
  function padPage() {
    var pad = new Pad($("pad"));
    $("pad-clear").onclick = function () { pad.clear(); msg("pad-msg", ""); };
    $("pad-done").onclick = function () {
      if (pad.empty()) { msg("pad-msg", t("need.draw")); return; }
      $("pad-done").disabled = true;
      call("POST", location.pathname, { strokes: pad.json() }).then(function () {
        show("pad-section", false); show("done", true); document.body.dataset.result = "sent";
      }, function (e) { $("pad-done").disabled = false; msg("pad-msg", e.message); });
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var lb = $("lang");
    if (lb) lb.onclick = function () { lang = lang === "en" ? "zh" : "en"; localStorage.setItem("sd-lang", lang); applyLang(); };
    applyLang();
    if (document.body.dataset.page === "sign") signPage(); else if (document.body.dataset.page === "pad") padPage();
  });
})();

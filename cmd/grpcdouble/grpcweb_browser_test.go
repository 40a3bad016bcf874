package main

import (
	"testing"

	"github.com/grpcdouble/grpcdouble/internal/browser"
)

// webTextPage calls the double's --http port (TARGET) as grpc-web's
// JavaScript client does in its default grpcwebtext mode: an XHR POST of
// application/grpc-web-text, the frame in base64 (here in two chunks, each
// padded on its own), and the answer read from responseText four
// characters at a time, frames and trailers decoded in the page. It calls
// in binary gRPC-Web too (grpc-web's grpcweb mode), with fetch. Trailers
// are looked up by their lower-case names, as grpc-web's client does.
const webTextPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>grpc-web-text from a browser</title></head>
<body><pre id="out">waiting</pre>
<script>
const TARGET = %q;
function frame(payload) {
  const f = new Uint8Array(5 + payload.length);
  new DataView(f.buffer).setUint32(1, payload.length);
  f.set(payload, 5);
  return f;
}
function b64(bytes) { return btoa(String.fromCharCode(...bytes)); }
function unb64(text) { // each frame is padded on its own, so decode group by group
  const out = [];
  for (let i = 0; i + 4 <= text.length; i += 4) {
    for (const c of atob(text.substr(i, 4))) out.push(c.charCodeAt(0));
  }
  return new Uint8Array(out);
}
function frames(bytes) {
  const res = [];
  for (let i = 0; i + 5 <= bytes.length;) {
    const n = new DataView(bytes.buffer, i + 1, 4).getUint32(0);
    res.push({trailer: (bytes[i] & 0x80) !== 0, payload: bytes.slice(i + 5, i + 5 + n)});
    i += 5 + n;
  }
  return res;
}
function field1(payload) { // a Feature's name: field 1, length-delimited, short
  if (payload[0] !== 0x0a) return null;
  return new TextDecoder().decode(payload.slice(2, 2 + payload[1]));
}
function trailers(payload) { // as grpc-web's client parses them: names as they come
  const t = {};
  for (const line of new TextDecoder().decode(payload).trim().split("\r\n")) {
    const at = line.indexOf(":");
    t[line.substring(0, at).trim()] = line.substring(at + 1).trim();
  }
  return t;
}
function call(method, body, headers) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", TARGET + "/routeguide.RouteGuide/" + method);
    const h = Object.assign({"Content-Type": "application/grpc-web-text", "Accept": "application/grpc-web-text",
      "X-Grpc-Web": "1", "X-User-Agent": "grpc-web-javascript/0.1"}, headers);
    for (const k in h) xhr.setRequestHeader(k, h[k]);
    xhr.onload = () => {
      const fs = frames(unb64(xhr.responseText));
      const data = fs.filter(f => !f.trailer).map(f => field1(f.payload));
      const tr = fs.filter(f => f.trailer).map(f => trailers(f.payload))[0] || {};
      const status = tr["grpc-status"] ?? xhr.getResponseHeader("grpc-status");
      const message = tr["grpc-message"] ?? xhr.getResponseHeader("grpc-message") ?? "";
      resolve({contentType: xhr.getResponseHeader("content-type"), header: xhr.getResponseHeader("x-stub"),
        data, trailers: tr, status, message: decodeURIComponent(message)});
    };
    xhr.onerror = () => reject(new Error("XHR refused"));
    xhr.send(body);
  });
}
async function binary(method, payload) {
  const r = await fetch(TARGET + "/routeguide.RouteGuide/" + method, {method: "POST", body: frame(payload),
    headers: {"Content-Type": "application/grpc-web+proto", "X-Grpc-Web": "1", "X-User-Agent": "grpc-web-javascript/0.1"}});
  const fs = frames(new Uint8Array(await r.arrayBuffer()));
  const tr = fs.filter(f => f.trailer).map(f => trailers(f.payload))[0] || {};
  return {data: fs.filter(f => !f.trailer).map(f => field1(f.payload)), status: tr["grpc-status"] ?? r.headers.get("grpc-status")};
}
window.result = (async () => {
  let res;
  try {
    const point = frame(new Uint8Array([0x08, 0x01, 0x10, 0x02])); // Point{latitude: 1, longitude: 2}
    const ok = await call("GetFeature", b64(point.slice(0, 4)) + b64(point.slice(4)), {});
    const denied = await call("GetFeature", b64(frame(new Uint8Array([0x08, 42]))), {"Authorization": "Bearer let-me-in"});
    const stream = await call("ListFeatures", b64(frame(new Uint8Array([]))), {});
    const bin = await binary("GetFeature", new Uint8Array([0x08, 0x01, 0x10, 0x02]));
    const binStream = await binary("ListFeatures", new Uint8Array([]));
    res = {contentType: ok.contentType, name: ok.data[0], stub: ok.header, status: ok.status, cost: ok.trailers["x-cost"],
      deniedStatus: denied.status, deniedMessage: denied.message,
      stream: stream.data.join(","), streamStatus: stream.status,
      binaryName: bin.data[0], binaryStatus: bin.status, binaryStream: binStream.data.join(","), binaryStreamStatus: binStream.status};
  } catch (e) {
    res = {refused: String(e)};
  }
  document.getElementById("out").textContent = JSON.stringify(res);
  return res;
})();
</script></body></html>`

// TestBrowserGRPCWeb: headless Chromium calls "serve --http" in gRPC-Web's
// text mode, as grpc-web's JavaScript client does, unary and server
// streaming, a stub's answer with its header and trailer and a stub's
// error with its code and message; and in binary gRPC-Web, unary and
// server streaming. With no --cors-origin the browser refuses the call;
// with the page's origin allowed it goes through.
func TestBrowserGRPCWeb(t *testing.T) {
	b := browser.Start(t)
	pageURL, run := servePage(t, b, webTextPage)

	refusing := startProc(t, serveArgs("--stubs", "testdata/standalone/stubs", "--http", "127.0.0.1:0")...)
	if got := run("no --cors-origin", "http://"+refusing.HTTPAddr); got["refused"] != "Error: XHR refused" {
		t.Errorf("without --cors-origin the browser should refuse the call; the page got %v", got)
	}

	allowing := startProc(t, serveArgs("--stubs", "testdata/standalone/stubs", "--http", "127.0.0.1:0", "--cors-origin", pageURL)...)
	got := run("--cors-origin "+pageURL, "http://"+allowing.HTTPAddr)
	want := map[string]any{
		"contentType": "application/grpc-web-text+proto",
		"name":        "Stub feature at 1,2", "stub": "feature-1-2", "status": "0", "cost": "1",
		"deniedStatus": "7", "deniedMessage": "Zutritt verboten — 立入禁止",
		"stream": "first,second,third", "streamStatus": "0",
		"binaryName": "Stub feature at 1,2", "binaryStatus": "0", "binaryStream": "first,second,third", "binaryStreamStatus": "0",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("with --cors-origin, the page got %s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

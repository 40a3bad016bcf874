// The grpcdouble admin page: plain JavaScript over the admin API, no build
// step and nothing fetched from elsewhere. Every value from the server is
// put into the page as text (textContent), never as HTML.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const el = (tag, attrs = {}, ...kids) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = v;
      else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) {
      if (kid === undefined || kid === null || kid === false) continue;
      n.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return n;
  };
  const clear = (n) => { while (n.firstChild) n.removeChild(n.firstChild); return n; };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const pretty = (v) => JSON.stringify(v, null, 2);

  // A report (GRPCDOUBLE_REPORT_DIR) carries its data in the page: no server.
  const reportText = $('#report-data').textContent.trim();
  const report = reportText ? JSON.parse(reportText) : null;

  const MAX_CALLS = 5000; // kept in the page; older ones are let go
  const MAX_ROWS = 500; // rendered at once
  const state = {
    calls: new Map(), // id -> summary
    selected: null,
    token: sessionStorage.getItem('grpcdouble-token') || '',
    session: '',
    coalesced: 0,
    sessions: [],
  };

  // ---- the API -----------------------------------------------------------

  class APIError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function withSession(path) {
    if (!state.session) return path;
    return path + (path.includes('?') ? '&' : '?') + 'session=' + encodeURIComponent(state.session);
  }

  let tokenWait = null;
  async function api(path, opts = {}) {
    for (;;) {
      const headers = new Headers(opts.headers || {});
      if (state.token) headers.set('Authorization', 'Bearer ' + state.token);
      const res = await fetch(path, { ...opts, headers, cache: 'no-store' });
      if (res.status !== 401) return res;
      if (!tokenWait) tokenWait = askToken(state.token ? 'That token was refused.' : '').finally(() => { tokenWait = null; });
      await tokenWait;
    }
  }

  async function apiJSON(path, opts) {
    const res = await api(path, opts);
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = { error: text }; }
    if (!res.ok) throw new APIError(res.status, (body && body.error) || res.statusText);
    return body;
  }

  function askToken(why) {
    const dlg = $('#token-dialog');
    const err = $('#token-error');
    err.hidden = !why;
    err.textContent = why || '';
    $('#token').value = '';
    return new Promise((resolve) => {
      const done = (ev) => {
        ev.preventDefault();
        const tok = $('#token').value.trim();
        if (!tok) return;
        state.token = tok;
        sessionStorage.setItem('grpcdouble-token', tok);
        $('#token-form').removeEventListener('submit', done);
        dlg.close();
        resolve();
      };
      $('#token-form').addEventListener('submit', done);
      if (!dlg.open) dlg.showModal();
      $('#token').focus();
    });
  }

  function notice(msg) {
    const n = $('#notice');
    n.hidden = !msg;
    n.textContent = msg || '';
  }

  function setConn(kind, text) {
    const c = $('#conn');
    c.className = 'conn ' + kind;
    c.textContent = text;
  }

  // ---- tabs --------------------------------------------------------------

  const tabs = [...document.querySelectorAll('[role=tab]')];
  function select(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', on);
      t.tabIndex = on ? 0 : -1;
      $('#' + t.getAttribute('aria-controls')).hidden = !on;
    }
    refreshSide();
  }
  for (const t of tabs) {
    t.addEventListener('click', () => select(t));
    t.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(t);
      let j = -1;
      if (ev.key === 'ArrowRight') j = (i + 1) % tabs.length;
      if (ev.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
      if (j >= 0) { ev.preventDefault(); tabs[j].focus(); select(tabs[j]); }
    });
  }

  // ---- calls -------------------------------------------------------------

  const codeNames = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists',
    'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented',
    'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];
  for (const name of codeNames) $('#f-code').append(el('option', { value: name, text: name }));

  function summarize(c) { // a full call (GET /calls/{id}) as the list shows it
    const md = c.metadata || {};
    return {
      id: c.id, method: c.method, kind: c.kind, start: c.start, done: c.done,
      durationMs: c.durationMs, code: c.status ? c.status.codeName : '',
      message: c.status ? c.status.message : '', session: (md['grpcdouble-session'] || [''])[0],
      answer: c.answer, missed: c.answer === 'miss',
    };
  }

  function onCalls(batch) {
    if (batch.firstId !== undefined) {
      for (const id of state.calls.keys()) if (id < batch.firstId) state.calls.delete(id);
    }
    for (const c of batch.calls || []) state.calls.set(c.id, c);
    if (batch.coalesced) state.coalesced += batch.coalesced;
    while (state.calls.size > MAX_CALLS) state.calls.delete(state.calls.keys().next().value);
    scheduleRender();
    if (state.selected !== null && (batch.calls || []).some((c) => c.id === state.selected)) showCall(state.selected);
    refreshSideSoon();
  }

  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => { renderQueued = false; renderCalls(); });
  }

  function passes(c) {
    const m = $('#f-method').value.trim().toLowerCase();
    if (m && !c.method.toLowerCase().includes(m)) return false;
    const code = $('#f-code').value;
    if (code && (c.done ? c.code : '') !== code) return false;
    const matched = $('#f-matched').value;
    if (matched === 'missed' && !c.missed) return false;
    if (matched === 'matched' && c.missed) return false;
    if (state.session && c.session !== state.session) return false;
    return true;
  }

  function relTime(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }

  // Rows are kept by call id and updated in place, so a row a user is
  // about to click (or has focused) is never replaced under them.
  const rowCache = new Map();
  function callRow(c) {
    let row = rowCache.get(c.id);
    if (!row) {
      row = el('tr', {
        tabindex: 0, 'data-id': c.id,
        onclick: () => showCall(c.id),
        onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); showCall(c.id); } },
      }, el('td', { class: 'muted' }), el('td', { class: 'mono' }), el('td', { class: 'mono' }), el('td'), el('td'), el('td'));
      rowCache.set(c.id, row);
    }
    const key = [c.done, c.code, c.missed, c.durationMs, c.session, c.answer].join('|');
    if (row.dataset.key !== key) {
      row.dataset.key = key;
      const [id, time, method, code, ms, session] = row.cells;
      id.textContent = c.id;
      time.textContent = relTime(c.start);
      clear(method).append(c.method, c.missed ? el('span', { class: 'code-bad', text: ' (missed)' }) : '',
        c.answer === 'upstream' ? el('span', { class: 'muted', text: ' (upstream)' }) : '');
      code.className = !c.done ? 'muted' : c.code === 'OK' ? 'code-OK' : 'code-bad';
      code.textContent = c.done ? c.code : 'running';
      ms.textContent = c.durationMs !== undefined && c.durationMs !== null ? c.durationMs.toFixed(1) : '';
      session.textContent = c.session || '';
    }
    row.setAttribute('aria-selected', String(c.id === state.selected));
    return row;
  }

  function renderCalls() {
    const tbody = $('#calls tbody');
    const all = [...state.calls.values()].sort((a, b) => b.id - a.id);
    const shown = all.filter(passes).slice(0, MAX_ROWS);
    $('#count-calls').textContent = all.length;
    $('#calls-empty').hidden = shown.length > 0;
    for (const id of rowCache.keys()) if (!state.calls.has(id)) rowCache.delete(id);
    const rows = shown.map(callRow);
    // Put the rows in order, moving only those out of place.
    rows.forEach((row, i) => {
      if (tbody.children[i] !== row) tbody.insertBefore(row, tbody.children[i] || null);
    });
    while (tbody.children.length > rows.length) tbody.removeChild(tbody.lastChild);
    const total = all.filter(passes).length;
    const more = total > MAX_ROWS ? `showing the newest ${MAX_ROWS} of ${total}. ` : '';
    const lost = state.coalesced ? `${state.coalesced} call updates were coalesced or dropped while the page fell behind; the list holds what the server still keeps.` : '';
    $('#dropped').textContent = more + lost;
  }
  for (const id of ['#f-method', '#f-code', '#f-matched']) $(id).addEventListener('input', renderCalls);

  let detailSeq = 0;
  async function showCall(id) {
    state.selected = id;
    for (const r of document.querySelectorAll('#calls tbody tr')) r.setAttribute('aria-selected', String(Number(r.dataset.id) === id));
    const seq = ++detailSeq;
    let call;
    try {
      call = report ? report.calls.find((c) => c.id === id) : await apiJSON(withSession('/calls/' + id));
    } catch (e) {
      if (seq === detailSeq) clear($('#detail')).append(el('p', { class: 'error', text: 'call ' + id + ': ' + e.message }));
      return;
    }
    if (seq !== detailSeq || !call) return;
    renderDetail(call);
  }

  function mdTable(md) {
    const keys = Object.keys(md || {}).sort();
    if (!keys.length) return el('p', { class: 'muted', text: 'none' });
    return el('table', { class: 'kv' }, keys.map((k) => el('tr', {}, el('th', { class: 'mono', scope: 'row', text: k }), el('td', { class: 'mono', text: md[k].join(', ') }))));
  }

  function since(start, iso) {
    const ms = new Date(iso) - new Date(start);
    if (isNaN(ms)) return '';
    return '+' + (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)) + ' ms';
  }

  function renderDetail(c) {
    const d = clear($('#detail'));
    const st = c.status;
    d.append(el('h2', { class: 'mono', text: '#' + c.id + ' ' + c.method }));
    d.append(el('p', {}, el('span', { class: 'muted', text: c.kind + ' · ' }),
      st ? el('span', { class: st.codeName === 'OK' ? 'code-OK' : 'code-bad', text: st.codeName }) : el('span', { class: 'muted', text: 'running' }),
      st && st.message ? ' ' + st.message : '',
      c.durationMs !== undefined ? el('span', { class: 'muted', text: ' · ' + c.durationMs.toFixed(2) + ' ms' }) : '',
      c.deadline ? el('span', { class: 'muted', text: ' · deadline ' + since(c.start, c.deadline) }) : '',
      c.protocol ? el('span', { class: 'muted', text: ' · ' + c.protocol + (c.codec ? ' (' + c.codec + ')' : '') }) : '',
      c.answer ? el('span', { class: 'muted', text: ' · answered by ' + c.answer }) : ''));
    d.append(el('h3', { text: 'Request metadata' }), mdTable(c.metadata));
    d.append(el('h3', { text: 'Events' }));
    const tl = el('div', { class: 'timeline', role: 'list', 'aria-label': 'Events in the order they happened' },
      el('div', { class: 'h', text: 'time' }), el('div', { class: 'h', text: 'client → server' }), el('div', { class: 'h', text: 'server → client' }));
    const add = (side, time, what, body) => {
      tl.append(el('div', { class: 't', text: since(c.start, time) }));
      tl.append(el('div', { class: 'ev ' + side, role: 'listitem', 'data-type': what }, el('div', { class: 'what', text: what }), body));
    };
    // A unary call's headers go out with its response and have no event of
    // their own: show them just before it.
    const events = [...(c.events || [])];
    if (c.header && Object.keys(c.header).length && !events.some((e) => e.type === 'header')) {
      const at = events.findIndex((e) => e.type === 'send');
      const ev = { type: 'header', time: at >= 0 ? events[at].time : c.end || c.start, metadata: c.header };
      if (at >= 0) events.splice(at, 0, ev); else events.push(ev);
    }
    for (const e of events) {
      if (e.type === 'recv') add('client', e.time, 'client message', el('pre', { text: pretty(e.message) }));
      else if (e.type === 'half-close') add('client', e.time, 'half-close', null);
      else if (e.type === 'send') add('server', e.time, 'server message', el('pre', { text: pretty(e.message) }));
      else if (e.type === 'header') add('server', e.time, 'headers', mdTable(e.metadata));
      else add('server', e.time, e.type, e.message ? el('pre', { text: pretty(e.message) }) : null);
    }
    if (c.done) {
      if (c.trailer && Object.keys(c.trailer).length) add('server', c.end, 'trailers', mdTable(c.trailer));
      const body = el('div', {}, el('span', { class: st.codeName === 'OK' ? 'code-OK' : 'code-bad', text: st.codeName + ' (' + st.code + ')' }),
        st.message ? el('pre', { text: st.message }) : '',
        (st.details || []).map((x) => el('pre', { class: 'detail-json', text: pretty(x) })));
      add('server', c.end, 'status', body);
    }
    d.append(tl);
  }

  // ---- the event stream --------------------------------------------------

  async function follow() {
    let delay = 250;
    for (;;) {
      try {
        const res = await api('/events', { headers: { Accept: 'text/event-stream' } });
        if (!res.ok) throw new APIError(res.status, 'event stream: HTTP ' + res.status);
        setConn('live', 'live');
        delay = 250;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            dispatch(block);
          }
        }
        setConn('down', 'disconnected; reconnecting…');
      } catch (e) {
        setConn('down', 'disconnected (' + e.message + '); reconnecting…');
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }

  function dispatch(block) {
    let type = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const k = i < 0 ? line : line.slice(0, i);
      const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (k === 'event') type = v;
      if (k === 'data') data.push(v);
    }
    if (type === 'calls') onCalls(JSON.parse(data.join('\n')));
    if (type === 'changed') refreshSideSoon();
  }

  // ---- stubs, misses, scenarios, sessions ---------------------------------

  let sideTimer = null;
  function refreshSideSoon() {
    if (sideTimer) return;
    sideTimer = setTimeout(() => { sideTimer = null; refreshSide(); }, 500);
  }

  async function load(path, key) {
    if (report) return report[key];
    try { return await apiJSON(withSession(path)); } catch (e) {
      // 404: an older server; 409: this server has no such thing (a
      // recording proxy has no stubs, an in-process test no sessions).
      if (e.status === 404 || e.status === 409) return null;
      throw e;
    }
  }

  const lastShown = {};
  function renderIfChanged(key, data, render) {
    const text = JSON.stringify(data);
    if (lastShown[key] === text) return;
    lastShown[key] = text;
    render(data);
  }

  async function refreshSide() {
    try {
      const [stubs, misses, scenarios, sessions] = await Promise.all([
        load('/stubs', 'stubs'), load('/misses', 'misses'), load('/scenarios', 'scenarios'), load('/sessions', 'sessions')]);
      // Rebuild a view only when its data changed, so a row does not
      // vanish under the pointer (or the keyboard focus) for nothing.
      renderIfChanged('stubs', stubs, renderStubs);
      renderIfChanged('misses', misses, renderMisses);
      renderIfChanged('scenarios', scenarios, renderScenarios);
      renderIfChanged('sessions', sessions, renderSessions);
      notice('');
    } catch (e) {
      notice('admin API: ' + e.message);
    }
  }

  function wanted(s) {
    const max = s.max === undefined || s.max === null || s.max < 0 || s.unlimited ? '∞' : String(s.max);
    if (String(s.min) === max) return max;
    return s.min + '–' + max;
  }

  function renderStubs(stubs) {
    const tbody = clear($('#stubs tbody'));
    stubs = Array.isArray(stubs) ? stubs : [];
    $('#count-stubs').textContent = stubs.length;
    for (const s of stubs) {
      tbody.append(el('tr', { 'data-id': s.id },
        el('td', { class: 'mono', text: s.id }),
        el('td', { class: 'mono', text: s.method }),
        el('td', { text: s.kind || '' }),
        el('td', { class: 'mono', text: s.source || '' }),
        el('td', { text: s.hits }),
        el('td', { text: wanted(s) }),
        el('td', { class: s.met ? 'code-OK' : 'code-bad', text: s.met ? 'met' : 'not met' }),
        el('td', {}, report ? '' : el('button', {
          type: 'button', class: 'danger', 'aria-label': 'Delete stub ' + s.id, text: 'Delete',
          onclick: async () => {
            try { await apiJSON(withSession('/stubs/' + encodeURIComponent(s.id)), { method: 'DELETE' }); } catch (e) { notice('delete ' + s.id + ': ' + e.message); }
            refreshSide();
          },
        }))));
    }
  }

  // Lines such as "- request: location.latitude: want 1, got 5" become a
  // table row (where, field, want, got); the rest (a whole-message diff)
  // stays as text, one block per run of lines so its indentation holds.
  const diffLine = /^\s*[-*]?\s*(?:([A-Za-z][\w ]*?):\s+)??(?:field\s+)?([\w.\[\]"'@\/-]+): want (.*?), got (.*)$/;
  function renderReasonLines(lines) {
    const frag = document.createDocumentFragment();
    let table = null;
    let text = [];
    const flush = () => {
      if (text.some((l) => l.trim())) frag.append(el('pre', { class: 'reason', text: text.join('\n') }));
      text = [];
    };
    for (const line of lines) {
      const m = diffLine.exec(line);
      if (m) {
        flush();
        if (!table) {
          table = el('table', { class: 'diff' }, el('tr', {}, el('th', { scope: 'col', text: 'in' }), el('th', { scope: 'col', text: 'field' }), el('th', { scope: 'col', text: 'want' }), el('th', { scope: 'col', text: 'got' })));
          frag.append(table);
        }
        table.append(el('tr', {}, el('td', { text: m[1] || '' }), el('td', { class: 'mono', text: m[2] }), el('td', { class: 'mono want', text: m[3] }), el('td', { class: 'mono got', text: m[4] })));
      } else {
        table = null;
        text.push(line);
      }
    }
    flush();
    return frag;
  }

  function renderMiss(m, from) {
    if (typeof m === 'string') {
      const lines = m.split('\n');
      return el('div', { class: 'miss' }, el('h3', { class: 'mono', text: lines[0] }), from ? el('p', { class: 'muted', text: from }) : '', renderReasonLines(lines.slice(1)));
    }
    const reasons = [].concat(m.reasons || []).flatMap((r) => String(r).split('\n'));
    const diffs = (m.diffs || []).map((x) => `${x.path}: want ${x.want}, got ${x.got}`);
    return el('div', { class: 'miss' },
      el('h3', { class: 'mono', text: m.method || '' }),
      m.nearest ? el('p', {}, 'nearest: ', el('span', { class: 'mono', text: m.nearest })) : el('p', { class: 'muted', text: 'no stub for this method' }),
      renderReasonLines(diffs.concat(reasons)));
  }

  function renderMisses(misses) {
    const box = clear($('#misses'));
    let list = [];
    if (Array.isArray(misses)) list = misses.map((m) => [m, '']);
    else if (misses) {
      list = (misses.stubs || []).map((m) => [m, 'stubs']).concat((misses.cassettes || []).map((m) => [m, 'cassettes']));
      if (misses.upstream) list = list.concat(misses.upstream.map((m) => [m, 'sent upstream']));
    }
    $('#count-misses').textContent = list.length;
    if (!list.length) box.append(el('p', { class: 'muted', text: 'No misses: every call was answered.' }));
    for (const [m, from] of list.slice(-200).reverse()) box.append(renderMiss(m, from));
  }

  function renderScenarios(sc) {
    const tbody = clear($('#scenarios tbody'));
    let list = [];
    if (Array.isArray(sc)) list = sc;
    else if (sc && typeof sc === 'object') list = Object.entries(sc).map(([name, v]) => (typeof v === 'object' ? { name, ...v } : { name, state: v }));
    $('#scenarios-empty').hidden = list.length > 0;
    for (const s of list) {
      const input = el('input', { type: 'text', value: s.state, 'aria-label': 'New state for scenario ' + s.name });
      tbody.append(el('tr', {},
        el('td', { class: 'mono', text: s.name }),
        el('td', { class: 'mono', text: s.state }),
        el('td', {}, report ? '' : el('form', {
          class: 'inline', onsubmit: async (ev) => {
            ev.preventDefault();
            try {
              await apiJSON(withSession('/scenarios/' + encodeURIComponent(s.name)), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ state: input.value }) });
            } catch (e) { notice('scenario ' + s.name + ': ' + e.message); }
            refreshSide();
          },
        }, input, el('button', { type: 'submit', text: 'Set' })))));
    }
  }

  function renderSessions(ss) {
    const tbody = clear($('#sessions tbody'));
    let list = Array.isArray(ss) ? ss : ss && Array.isArray(ss.sessions) ? ss.sessions : [];
    list = list.map((s) => (typeof s === 'string' ? { name: s } : s));
    $('#sessions-empty').hidden = list.length > 0;
    for (const s of list) {
      const { name, ...rest } = s;
      tbody.append(el('tr', {}, el('td', { class: 'mono', text: name }), el('td', { class: 'mono', text: Object.keys(rest).length ? JSON.stringify(rest) : '' })));
    }
    const sel = $('#session');
    const names = list.map((s) => s.name);
    if (names.join('\n') !== state.sessions.join('\n')) {
      state.sessions = names;
      const cur = sel.value;
      clear(sel).append(el('option', { value: '', text: 'all' }));
      for (const n of names) sel.append(el('option', { value: n, text: n }));
      sel.value = names.includes(cur) ? cur : '';
    }
  }
  $('#session').addEventListener('change', () => { state.session = $('#session').value; renderCalls(); refreshSide(); });

  // ---- actions -------------------------------------------------------------

  let resetArmed = null;
  $('#reset').addEventListener('click', async () => {
    const b = $('#reset');
    if (!resetArmed) { // a second click confirms, so one slip does not wipe a session
      b.textContent = 'Click again to reset';
      resetArmed = setTimeout(() => { resetArmed = null; b.textContent = 'Reset'; }, 4000);
      return;
    }
    clearTimeout(resetArmed);
    resetArmed = null;
    b.textContent = 'Reset';
    try {
      await apiJSON(withSession('/reset'), { method: 'POST' });
      state.calls.clear();
      state.selected = null;
      clear($('#detail')).append(el('p', { class: 'muted', text: 'Reset done.' }));
      renderCalls();
    } catch (e) { notice('reset: ' + e.message); }
    refreshSide();
  });

  $('#add-form').addEventListener('submit', async () => {
    const text = $('#add-yaml').value;
    const out = $('#add-error');
    out.hidden = true;
    clear(out);
    try {
      await apiJSON(withSession('/stubs'), { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: text });
      $('#add-yaml').value = '';
      refreshSide();
    } catch (e) {
      out.hidden = false;
      out.append(el('p', { class: 'add-message', text: e.message }));
      // The server names the line ("admin POST /stubs:3: response: ..."):
      // show the pasted text with that line marked.
      const m = /:(\d+):/.exec(e.message);
      const bad = m ? Number(m[1]) : 0;
      const src = el('div', { class: 'src', 'aria-label': 'The pasted stubs, with the line at fault marked' });
      text.split('\n').forEach((line, i) => {
        const cls = i + 1 === bad ? ' bad' : '';
        src.append(el('span', { class: 'n' + cls, text: i + 1 }), el('span', { class: 'l' + cls, 'data-line': i + 1, text: line || ' ' }));
      });
      out.append(src);
    }
  });

  // ---- start -------------------------------------------------------------

  if (report) {
    document.body.insertBefore(el('div', { class: 'report-banner', role: 'note', text: 'Report of ' + (report.title || 'a test') + (report.failure ? ': ' + report.failure : '') + '. A snapshot: nothing here is live.' }), document.body.firstChild);
    setConn('', 'report, ' + (report.generated || ''));
    $('#reset').hidden = true;
    $('#add-form').hidden = true;
    onCalls({ calls: (report.calls || []).map(summarize) });
    refreshSide();
    const firstMiss = (report.calls || []).filter((c) => summarize(c).missed).pop();
    if (firstMiss) showCall(firstMiss.id);
  } else {
    refreshSide();
    follow();
  }
})();

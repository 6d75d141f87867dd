// The status page: polls status.json (the configured pipelines and the samples of /metrics),
// computes per-second rates from successive snapshots and draws the graph, plots and tables.
(function () {
  'use strict';
  const INTERVAL_MS = 2000;
  const HISTORY = 150; // points kept for the plots: five minutes at one every two seconds
  const PALETTE = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#dc2626', '#0891b2', '#65a30d', '#db2777',
    '#4b5563', '#ea580c'];

  let previous = null; // {time, values: Map key -> value}
  let graphKey = null;
  const plots = {rates: null, queues: null};
  const history = {rates: {labels: [], times: [], values: []}, queues: {labels: [], times: [], values: []}};

  const el = (id) => document.getElementById(id);

  function seriesKey(s) {
    const names = Object.keys(s.labels).sort();
    return s.metric + '|' + (s.component || '') + '|' + names.map((n) => n + '=' + s.labels[n]).join(',');
  }

  function fmt(n) {
    if (n === null || n === undefined || !isFinite(n)) return '–';
    const a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(1) + 'G';
    if (a >= 1e6) return (n / 1e6).toFixed(1) + 'M';
    if (a >= 1e3) return (n / 1e3).toFixed(1) + 'k';
    if (a >= 10 || a === 0) return n.toFixed(0);
    return n.toFixed(1);
  }

  function bytes(n) {
    if (n === null || n === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + ' ' + units[i];
  }

  function text(tag, content, cls) {
    const e = document.createElement(tag);
    if (content !== undefined && content !== null) e.textContent = content;
    if (cls) e.className = cls;
    return e;
  }

  /** The samples of one snapshot, with a rate for counters when the previous snapshot had them. */
  function index(data) {
    const values = new Map();
    const dt = previous ? (data.time - previous.time) / 1000 : 0;
    for (const s of data.series) {
      const key = seriesKey(s);
      values.set(key, s.value);
      s.rate = null;
      if ((s.type === 'counter' || s.type === 'histogram') && previous && dt > 0 && s.value !== null) {
        const before = previous.values.get(key);
        // a counter that went down was started again (a config reload): count from zero
        s.rate = before === undefined || before === null ? null : Math.max(0, s.value - (s.value >= before ? before : 0)) / dt;
      }
    }
    previous = {time: data.time, values: values};
  }

  function select(data, metric, component, labels) {
    return data.series.filter((s) => s.metric === metric && (component === undefined || s.component === component)
      && Object.entries(labels || {}).every(([k, v]) => s.labels[k] === v));
  }

  function rate(data, metric, component, labels) {
    const ss = select(data, metric, component, labels);
    if (ss.length === 0 || ss.every((s) => s.rate === null)) return null;
    return ss.reduce((a, s) => a + (s.rate || 0), 0);
  }

  function total(data, metric, component, labels) {
    const ss = select(data, metric, component, labels);
    return ss.length === 0 ? null : ss.reduce((a, s) => a + (s.value || 0), 0);
  }

  /** One component's card in one pipeline: what it did with that pipeline's signal. */
  function card(data, id, kind, pipeline, role) {
    const div = text('div', null, 'component');
    div.dataset.id = id;
    div.dataset.kind = kind;
    div.dataset.pipeline = pipeline.id;
    div.appendChild(text('div', kind, 'kind'));
    div.appendChild(text('div', id, 'name'));
    const signal = {signal: pipeline.signal};
    let inRate = null;
    let outRate = null;
    const warnings = [];
    const warn = (label, r) => { if (r) warnings.push(fmt(r) + '/s ' + label); };
    if (kind === 'receiver') {
      outRate = rate(data, 'sluice_receiver_accepted_items', id, signal);
      warn('refused', rate(data, 'sluice_receiver_refused_items', id, signal));
      warn('requests refused', rate(data, 'sluice_receiver_refused_requests', id, signal));
    } else if (kind === 'processor') {
      const p = {pipeline: pipeline.id};
      inRate = rate(data, 'sluice_processor_incoming_items', id, p);
      outRate = rate(data, 'sluice_processor_outgoing_items', id, p);
      warn('refused', rate(data, 'sluice_processor_refused_items', id, p));
      warn('dropped', rate(data, 'sluice_processor_dropped_items', id, p));
    } else if (kind === 'exporter') {
      outRate = rate(data, 'sluice_exporter_sent_items', id, signal);
      warn('failed', rate(data, 'sluice_exporter_send_failed_items', id, signal));
      warn('refused (queue full)', rate(data, 'sluice_exporter_enqueue_failed_items', id, signal));
      warn('dropped', rate(data, 'sluice_exporter_dropped_items', id, signal));
      warn('retried requests', rate(data, 'sluice_exporter_retried_requests', id, signal));
    } else if (kind === 'connector') {
      if (role === 'exporter') {
        inRate = rate(data, 'sluice_connector_incoming_items', id, signal);
      } else {
        outRate = rate(data, 'sluice_connector_outgoing_items', id, signal);
      }
      const other = data.pipelines.filter((q) => q.id !== pipeline.id
        && (role === 'exporter' ? q.receivers : q.exporters).includes(id)).map((q) => q.id);
      if (other.length) div.appendChild(text('div', (role === 'exporter' ? 'to ' : 'from ') + other.join(', '), 'note'));
    }
    const parts = [];
    if (kind === 'processor' || (kind === 'connector' && role === 'exporter')) parts.push('in ' + fmt(inRate) + '/s');
    if (kind === 'receiver') parts.push('accepted ' + fmt(outRate) + '/s');
    if (kind === 'processor' || (kind === 'connector' && role === 'receiver')) parts.push('out ' + fmt(outRate) + '/s');
    if (kind === 'exporter') parts.push('sent ' + fmt(outRate) + '/s');
    const rates = text('div', parts.join(' · '), 'rates');
    rates.dataset.in = inRate === null ? '' : String(inRate);
    rates.dataset.out = outRate === null ? '' : String(outRate);
    div.appendChild(rates);
    if (kind === 'exporter') {
      const size = total(data, 'sluice_exporter_queue_size', id);
      const cap = total(data, 'sluice_exporter_queue_capacity', id);
      if (size !== null && cap) {
        const pct = Math.min(100, 100 * size / cap);
        div.appendChild(text('div', 'queue ' + fmt(size) + ' / ' + fmt(cap) + ' batches', 'note'));
        const bar = text('div', null, pct >= 80 ? 'bar high' : 'bar');
        const fill = text('span');
        fill.style.width = pct.toFixed(1) + '%';
        bar.appendChild(fill);
        div.appendChild(bar);
      }
    }
    for (const w of warnings) div.appendChild(text('div', w, 'warn'));
    return div;
  }

  /** The kind of the component {@code id} in a pipeline's receivers or exporters ({@code role}). */
  function kindOf(data, id, role) {
    return data.connectors.includes(id) ? 'connector' : role;
  }

  /** The ids of the receivers or exporters ({@code role}) of all pipelines, connectors left out, each once. */
  function idsOf(data, role) {
    const ids = new Set();
    for (const p of data.pipelines) {
      for (const id of role === 'receiver' ? p.receivers : p.exporters) {
        if (!data.connectors.includes(id)) ids.add(id);
      }
    }
    return Array.from(ids);
  }

  function stage(cls, nodes) {
    const s = text('div', null, 'stage ' + cls);
    nodes.forEach((n, i) => {
      if (cls === 'processors' && i > 0) s.appendChild(text('span', '→', 'arrow'));
      s.appendChild(n);
    });
    if (nodes.length === 0) s.appendChild(text('span', '(none)', 'muted'));
    return s;
  }

  function drawGraph(data) {
    const graph = el('graph');
    graph.replaceChildren();
    if (data.pipelines.length === 0) graph.appendChild(text('p', 'No pipelines are running.', 'muted'));
    for (const p of data.pipelines) {
      const lane = text('div', null, 'lane');
      lane.dataset.pipeline = p.id;
      const name = text('div', p.id, 'lane-name');
      name.appendChild(text('small', p.signal));
      lane.appendChild(name);
      lane.appendChild(stage('receivers', p.receivers.map((id) => card(data, id, kindOf(data, id, 'receiver'), p, 'receiver'))));
      lane.appendChild(text('span', '→', 'arrow'));
      lane.appendChild(stage('processors', p.processors.map((id) => card(data, id, 'processor', p, 'processor'))));
      lane.appendChild(text('span', '→', 'arrow'));
      lane.appendChild(stage('exporters', p.exporters.map((id) => card(data, id, kindOf(data, id, 'exporter'), p, 'exporter'))));
      graph.appendChild(lane);
    }
  }

  function table(id, headers, rows, empty) {
    const t = el(id);
    t.replaceChildren();
    const head = text('tr');
    headers.forEach((h) => head.appendChild(text('th', h.replace(/^#/, ''), h.startsWith('#') ? 'num' : null)));
    t.appendChild(head);
    if (rows.length === 0) {
      const tr = text('tr');
      const td = text('td', empty, 'empty');
      td.colSpan = headers.length;
      tr.appendChild(td);
      t.appendChild(tr);
      return;
    }
    for (const r of rows) {
      const tr = text('tr');
      r.forEach((c, i) => {
        if (c instanceof Node) {
          const td = text('td');
          td.appendChild(c);
          tr.appendChild(td);
        } else {
          tr.appendChild(text('td', c, headers[i].startsWith('#') ? 'num' : null));
        }
      });
      t.appendChild(tr);
    }
  }

  const PROBLEM = /(refused|dropped|failed|corrupt|malformed|overflow|skipped)/;

  function drawTables(data) {
    const problems = data.series.filter((s) => s.type === 'counter' && PROBLEM.test(s.metric) && s.value > 0)
      .map((s) => [s.component || '', s.metric.replace(/^sluice_/, ''),
        Object.entries(s.labels).map(([k, v]) => k + '=' + v).join(' '), fmt(s.value), fmt(s.rate)]);
    table('problems', ['component', 'what', 'labels', '#total', '#per second'], problems, 'None so far.');

    const exporters = idsOf(data, 'exporter').map((id) => {
      const count = total(data, 'sluice_exporter_request_duration_seconds', id);
      const reqs = rate(data, 'sluice_exporter_request_duration_seconds', id);
      const secs = select(data, 'sluice_exporter_request_duration_seconds', id)
        .reduce((a, s) => a + (s.sum || 0), 0);
      const size = total(data, 'sluice_exporter_queue_size', id);
      const cap = total(data, 'sluice_exporter_queue_capacity', id);
      const qBytes = total(data, 'sluice_exporter_queue_size_bytes', id);
      return [id, fmt(rate(data, 'sluice_exporter_sent_items', id)), fmt(total(data, 'sluice_exporter_sent_items', id)),
        fmt(total(data, 'sluice_exporter_send_failed_items', id)), fmt(rate(data, 'sluice_exporter_retried_requests', id)),
        fmt(reqs), count ? (1000 * secs / count).toFixed(1) + ' ms' : '–',
        size === null ? '–' : fmt(size) + ' / ' + fmt(cap) + (qBytes === null ? '' : ' (' + bytes(qBytes) + ')')];
    });
    table('exporters', ['exporter', '#sent/s', '#sent', '#failed', '#retries/s', '#requests/s', '#mean latency',
      '#queue (batches)'], exporters, 'No exporters.');

    const targets = select(data, 'sluice_receiver_scrape_target_up').map((s) => {
      const key = {job: s.labels.job, instance: s.labels.instance};
      const err = select(data, 'sluice_receiver_scrape_target_last_error_timestamp_seconds', s.component, key)[0];
      const last = select(data, 'sluice_receiver_scrape_target_last_scrape_timestamp_seconds', s.component, key)[0];
      const ago = (t) => t ? Math.max(0, Math.round(data.time / 1000 - t)) + ' s ago' : '–';
      return [s.component, s.labels.job, s.labels.instance,
        text('span', s.value === 1 ? 'up' : 'down', s.value === 1 ? 'up' : 'down'),
        ago(last && last.value), err ? err.labels.error + ' (' + ago(err.value) + ')' : ''];
    });
    table('targets', ['receiver', 'job', 'instance', 'health', 'last scrape', 'last error'], targets,
      'No prometheus receiver is scraping.');

    const files = select(data, 'sluice_receiver_filelog_file_offset_bytes').map((s) => {
      const size = select(data, 'sluice_receiver_filelog_file_size_bytes', s.component, {path: s.labels.path})[0];
      return [s.component, s.labels.path, bytes(s.value), size ? bytes(size.value) : '–',
        size ? bytes(Math.max(0, size.value - s.value)) : '–'];
    });
    table('files', ['receiver', 'file', '#acknowledged offset', '#size', '#behind'], files,
      'No filelog receiver is tailing files.');

    const partitions = select(data, 'sluice_receiver_kafka_partition_lag').map((s) => {
      const paused = select(data, 'sluice_receiver_kafka_partition_paused', s.component,
        {topic: s.labels.topic, partition: s.labels.partition})[0];
      return [s.component, s.labels.topic, s.labels.partition, fmt(s.value),
        paused && paused.value === 1 ? text('span', 'paused', 'down') : 'consuming'];
    });
    table('partitions', ['receiver', 'topic', '#partition', '#lag (records)', 'state'], partitions,
      'No kafka receiver has partitions assigned.');
  }

  /** Adds one point per line to a plot's history and redraws it; a new set of lines makes a new plot. */
  function plot(name, elementId, lines, time, yLabel, yMax) {
    const h = history[name];
    const labels = lines.map((l) => l.label);
    if (labels.join('\n') !== h.labels.join('\n')) {
      h.labels = labels;
      h.times = [];
      h.values = labels.map(() => []);
      if (plots[name]) { plots[name].destroy(); plots[name] = null; }
    }
    h.times.push(time / 1000);
    lines.forEach((l, i) => h.values[i].push(l.value));
    if (h.times.length > HISTORY) {
      h.times.shift();
      h.values.forEach((v) => v.shift());
    }
    const container = el(elementId);
    if (lines.length === 0) {
      container.replaceChildren(text('p', 'Nothing to plot.', 'muted'));
      return;
    }
    const data = [h.times].concat(h.values);
    if (!plots[name]) {
      container.replaceChildren();
      plots[name] = new uPlot({
        width: Math.max(300, container.clientWidth),
        height: 240,
        scales: {x: {time: true}, y: {range: (u, min, max) => [0, yMax || Math.max(1, max * 1.1)]}},
        axes: [{}, {label: yLabel, size: 60, values: (u, ticks) => ticks.map(fmt)}],
        legend: {live: false},
        series: [{}].concat(lines.map((l, i) => ({label: l.label, stroke: PALETTE[i % PALETTE.length], width: 2,
          points: {show: false}}))),
      }, data, container);
    } else {
      plots[name].setData(data);
    }
  }

  function drawPlots(data) {
    const ids = (role) => idsOf(data, role);
    const rateLines = ids('receiver').map((id) => ({label: id + ' in', value: rate(data, 'sluice_receiver_accepted_items', id)}))
      .concat(ids('exporter').map((id) => ({label: id + ' sent', value: rate(data, 'sluice_exporter_sent_items', id)})));
    plot('rates', 'chart-rates', rateLines, data.time, 'items/s');
    const queueLines = ids('exporter').filter((id) => total(data, 'sluice_exporter_queue_capacity', id)).map((id) => ({
      label: id,
      value: 100 * total(data, 'sluice_exporter_queue_size', id) / total(data, 'sluice_exporter_queue_capacity', id),
    }));
    plot('queues', 'chart-queues', queueLines, data.time, '% full', 100);
  }

  async function refresh() {
    try {
      const res = await fetch('status.json', {cache: 'no-store'});
      if (!res.ok) throw new Error('status.json answered ' + res.status);
      const data = await res.json();
      const key = JSON.stringify(data.pipelines);
      if (key !== graphKey) { graphKey = key; previous = null; }
      index(data);
      drawGraph(data);
      drawPlots(data);
      drawTables(data);
      el('error').hidden = true;
      el('updated').textContent = 'updated ' + new Date(data.time).toLocaleTimeString() + ', every '
        + INTERVAL_MS / 1000 + ' s';
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    } catch (e) {
      el('error').hidden = false;
      el('error').textContent = 'Cannot reach the gateway: ' + e.message;
    } finally {
      setTimeout(refresh, INTERVAL_MS);
    }
  }

  window.addEventListener('resize', () => {
    for (const [name, p] of Object.entries(plots)) {
      if (p) p.setSize({width: Math.max(300, el(name === 'rates' ? 'chart-rates' : 'chart-queues').clientWidth), height: 240});
    }
  });
  refresh();
})();

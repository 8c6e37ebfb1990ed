// numpy-mlp playground, the page's side: the server trains the real network; this file sends
// what the controls say and draws what the server sends. Plain JavaScript and canvas, no
// library and nothing from the network, so the page works offline.
(function () {
  "use strict";

  const TEXTS = window.PLAYGROUND_TEXTS;
  const LANGUAGE_KEY = "numpy-mlp-playground-language";
  const MAX_HIDDEN_LAYERS = 6;
  const MAX_NEURONS = 16;
  const HISTORY_LIMIT = 1500; // points per curve; older ones are thinned out
  const ORANGE = [232, 120, 30];
  const MIDDLE = [246, 246, 246];
  const BLUE = [8, 119, 189];
  const INK = "#1f2933";
  // Marching squares: the contour's segments in a cell, by which corners lie above the level
  // (bits: top-left 8, top-right 4, bottom-right 2, bottom-left 1), as pairs of cell edges.
  const SEGMENTS = [
    [], [["left", "bottom"]], [["bottom", "right"]], [["left", "right"]],
    [["top", "right"]], [["left", "top"], ["bottom", "right"]], [["top", "bottom"]], [["left", "top"]],
    [["left", "top"]], [["top", "bottom"]], [["top", "right"], ["left", "bottom"]], [["top", "right"]],
    [["left", "right"]], [["bottom", "right"]], [["left", "bottom"]], []
  ];

  const $ = (id) => document.getElementById(id);
  const state = {
    language: "en",
    dataset: "xor",
    hiddenLayers: [4, 2],
    socket: null,
    setup: null, // the last "setup" reply: settings, network sizes, points
    frame: null, // the newest frame
    unacknowledged: 0, // frames received but not yet reported drawn
    drawScheduled: false,
    history: [],
    playing: false,
    code: "",
    nodes: [], // the network picture's squares, for their tooltips
    closedByServer: false
  };
  const PALETTE = buildPalette();

  // -- words ----------------------------------------------------------------------------------

  function t(key, values) {
    const text = (TEXTS[state.language] || {})[key] || TEXTS.en[key] || key;
    return text.replace(/\{(\w+)\}/g, (match, name) => (values && name in values ? values[name] : match));
  }

  function initialLanguage() {
    let saved = null;
    try { saved = window.localStorage.getItem(LANGUAGE_KEY); } catch (error) { saved = null; }
    if (saved && TEXTS[saved]) return saved;
    // The first of the browser's languages that the page speaks; Portuguese of any region reads pt-BR.
    const asked = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
    for (const tag of asked) {
      const lower = String(tag).toLowerCase();
      if (lower.startsWith("pt")) return "pt-BR";
      if (lower.startsWith("en")) return "en";
    }
    return "en";
  }

  function applyLanguage(language) {
    state.language = language;
    document.documentElement.lang = language;
    try { window.localStorage.setItem(LANGUAGE_KEY, language); } catch (error) { /* private mode */ }
    for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
    for (const element of document.querySelectorAll("[data-i18n-title]")) {
      element.title = t(element.dataset.i18nTitle);
      element.setAttribute("aria-label", element.title);
    }
    $("lang-en").setAttribute("aria-pressed", String(language === "en"));
    $("lang-pt").setAttribute("aria-pressed", String(language === "pt-BR"));
    showPlaying();
    buildLayerControls();
    showSliderValues();
    if (state.frame) { showMetrics(state.frame); drawAll(); }
  }

  function formatNumber(value, digits) {
    if (value === null || value === undefined) return "\u2013";
    return new Intl.NumberFormat(state.language, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  }

  function formatPercent(value) {
    if (value === null || value === undefined) return "\u2013";
    return new Intl.NumberFormat(state.language, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
  }

  // -- the connection -------------------------------------------------------------------------

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/ws");
    state.socket = socket;
    socket.onopen = () => { hideMessage(); configure(); };
    socket.onmessage = (event) => receive(JSON.parse(event.data));
    socket.onclose = () => {
      state.playing = false;
      showPlaying();
      if (!state.closedByServer) showMessage(t("disconnected"));
    };
  }

  function send(message) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
  }

  function readSettings() {
    const seed = Math.min(2147483647, Math.max(0, Math.floor(Number($("seed").value)) || 0));
    $("seed").value = String(seed);
    return {
      dataset: state.dataset,
      noise: Number($("noise").value),
      n_samples: Number($("n_samples").value),
      validation_fraction: Math.round(Number($("validation_fraction").value)) / 100,
      hidden_layers: state.hiddenLayers.slice(),
      activation: $("activation").value,
      output: $("output").value,
      learning_rate: Number($("learning_rate").value),
      optimizer: $("optimizer").value,
      batch_size: Number($("batch_size").value),
      l2: Number($("l2").value),
      dropout: Number($("dropout").value),
      seed: seed
    };
  }

  function configure() {
    send({ type: "configure", settings: readSettings() });
  }

  const HANDLERS = {
    setup(reply) {
      state.setup = reply;
      state.frame = null; // a frame of the previous network must not be drawn on the new one
      state.history = [];
      $("network").dataset.layers = reply.network.join("-");
      hideMessage();
    },
    frame(reply) {
      record(reply);
      state.frame = reply;
      state.unacknowledged += 1;
      if (!state.drawScheduled) {
        state.drawScheduled = true;
        window.requestAnimationFrame(drawNewestFrame);
      }
    },
    status(reply) {
      state.playing = reply.playing;
      state.code = reply.code;
      $("code").textContent = reply.code;
      $("epoch").textContent = String(reply.epoch);
      showPlaying();
    },
    model_file(reply) {
      saveFile(reply.filename, decodeBase64(reply.data));
    },
    error(reply) {
      if (reply.code === "busy") state.closedByServer = true;
      const known = ["invalid", "diverged", "busy"].includes(reply.code);
      showMessage(known ? t("error_" + reply.code, { message: reply.message }) : reply.message, reply.code);
    }
  };

  function receive(reply) {
    const handler = HANDLERS[reply.type];
    if (handler) handler(reply);
  }

  function record(frame) {
    const last = state.history[state.history.length - 1];
    if (frame.epoch === 0 || (last && frame.epoch <= last.epoch)) state.history = [];
    state.history.push(Object.assign({ epoch: frame.epoch }, frame.metrics));
    if (state.history.length > HISTORY_LIMIT) state.history = state.history.filter((point, index) => index % 2 === 0);
  }

  // Draw at the screen's pace: frames that arrive between two paints are counted, the newest drawn.
  function drawNewestFrame() {
    state.drawScheduled = false;
    if (state.frame && state.setup) {
      showMetrics(state.frame);
      drawAll();
    }
    for (; state.unacknowledged > 0; state.unacknowledged -= 1) send({ type: "drawn" });
  }

  function drawAll() {
    if (!state.frame || !state.setup) return;
    drawBoundary(state.frame);
    drawNetwork(state.frame);
    drawChart($("loss-chart"), "loss", "val_loss", null);
    drawChart($("accuracy-chart"), "accuracy", "val_accuracy", 1);
  }

  // -- pictures ---------------------------------------------------------------------------------

  function buildPalette() {
    const palette = new Uint8ClampedArray(256 * 3);
    for (let index = 0; index < 256; index++) {
      const position = index / 255;
      const [from, to, share] = position < 0.5 ? [ORANGE, MIDDLE, position * 2] : [MIDDLE, BLUE, position * 2 - 1];
      for (let channel = 0; channel < 3; channel++) palette[index * 3 + channel] = from[channel] + (to[channel] - from[channel]) * share;
    }
    return palette;
  }

  function decodeBase64(text) {
    const binary = window.atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
    return bytes;
  }

  // A size x size canvas coloured from bytes (0 orange, 127 white, 255 blue).
  function pictureCanvas(bytes, size) {
    const canvas = document.createElement("canvas");
    canvas.width = size;
    canvas.height = size;
    const context = canvas.getContext("2d");
    const image = context.createImageData(size, size);
    for (let index = 0; index < size * size; index++) {
      const colour = bytes[index] * 3;
      image.data[index * 4] = PALETTE[colour];
      image.data[index * 4 + 1] = PALETTE[colour + 1];
      image.data[index * 4 + 2] = PALETTE[colour + 2];
      image.data[index * 4 + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    return canvas;
  }

  // The picture of an input: x1 (or x2) over the plane, scaled to [-1, 1].
  function inputBytes(which, size) {
    const bytes = new Uint8Array(size * size);
    for (let row = 0; row < size; row++) {
      for (let column = 0; column < size; column++) {
        const value = which === 0 ? (column + 0.5) / size : 1 - (row + 0.5) / size;
        bytes[row * size + column] = Math.round(value * 255);
      }
    }
    return bytes;
  }

  // A canvas sized for the screen's pixel ratio; returns its context in CSS pixels.
  function prepare(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    return { context, width, height };
  }

  function drawBoundary(frame) {
    const { context, width, height } = prepare($("boundary"));
    const size = state.setup.boundary_grid;
    const bytes = decodeBase64(frame.boundary);
    context.imageSmoothingEnabled = true;
    context.drawImage(pictureCanvas(bytes, size), 0, 0, width, height);
    drawContour(context, bytes, size, width / size, height / size);
    const half = state.setup.plane;
    const place = (point) => [(point[0] + half) / (2 * half) * width, (half - point[1]) / (2 * half) * height];
    drawPoints(context, state.setup.train, place, "#ffffff");
    if ($("show-validation").checked) drawPoints(context, state.setup.validation, place, INK);
  }

  function drawPoints(context, points, place, edge) {
    context.lineWidth = 1.2;
    context.strokeStyle = edge;
    for (let index = 0; index < points.points.length; index++) {
      const [x, y] = place(points.points[index]);
      context.beginPath();
      context.arc(x, y, 3.3, 0, 2 * Math.PI);
      context.fillStyle = points.labels[index] === 1 ? "rgb(" + BLUE + ")" : "rgb(" + ORANGE + ")";
      context.fill();
      context.stroke();
    }
  }

  // The 0.5 line of a size x size grid of bytes (pixel centres), by marching squares.
  function drawContour(context, bytes, size, cellWidth, cellHeight) {
    const level = 127.5;
    context.beginPath();
    for (let row = 0; row + 1 < size; row++) {
      for (let column = 0; column + 1 < size; column++) {
        const a = bytes[row * size + column], b = bytes[row * size + column + 1];
        const c = bytes[(row + 1) * size + column + 1], d = bytes[(row + 1) * size + column];
        const index = (a > level ? 8 : 0) | (b > level ? 4 : 0) | (c > level ? 2 : 0) | (d > level ? 1 : 0);
        if (index === 0 || index === 15) continue;
        const x = (column + 0.5) * cellWidth, y = (row + 0.5) * cellHeight;
        const share = (from, to) => (level - from) / (to - from);
        const edges = {
          top: [x + share(a, b) * cellWidth, y],
          right: [x + cellWidth, y + share(b, c) * cellHeight],
          bottom: [x + share(d, c) * cellWidth, y + cellHeight],
          left: [x, y + share(a, d) * cellHeight]
        };
        for (const [start, end] of SEGMENTS[index]) {
          context.moveTo(edges[start][0], edges[start][1]);
          context.lineTo(edges[end][0], edges[end][1]);
        }
      }
    }
    context.strokeStyle = INK;
    context.lineWidth = 1.5;
    context.stroke();
  }

  // -- the network ------------------------------------------------------------------------------

  function drawNetwork(frame) {
    const { context, width, height } = prepare($("network"));
    const sizes = state.setup.network;
    const counts = sizes.map((count, index) => (index === sizes.length - 1 ? 1 : count)); // one output picture
    const node = Math.max(10, Math.min(44, (height - 8) / Math.max(...counts) - 6));
    const layout = counts.map((count, column) => {
      const x = (column + 0.5) * width / counts.length;
      const top = height / 2 - (count * (node + 6) - 6) / 2;
      return Array.from({ length: count }, (unused, index) => [x - node / 2, top + index * (node + 6)]);
    });
    drawWeights(context, frame.weights, layout, node, sizes[sizes.length - 1] === 2);
    state.nodes = [];
    const neuronSize = state.setup.neuron_grid;
    layout.forEach((column, layer) => column.forEach((corner, unit) => {
      let bytes, title;
      if (layer === 0) {
        bytes = inputBytes(unit, neuronSize);
        title = t("input_title", { name: unit === 0 ? "x\u2081" : "x\u2082" });
      } else if (layer === layout.length - 1) {
        bytes = decodeBase64(frame.boundary);
        title = t("output_title");
      } else {
        bytes = decodeBase64(frame.neurons[layer - 1][unit]);
        title = t("neuron_title", { layer: layer, unit: unit + 1 });
      }
      const size = layer === layout.length - 1 ? state.setup.boundary_grid : neuronSize;
      context.imageSmoothingEnabled = true;
      context.drawImage(pictureCanvas(bytes, size), corner[0], corner[1], node, node);
      context.strokeStyle = INK;
      context.lineWidth = 1;
      context.strokeRect(corner[0], corner[1], node, node);
      state.nodes.push({ x: corner[0], y: corner[1], size: node, title: title });
    }));
  }

  // Weights as lines by sign (blue positive, orange negative) and size (width). With a softmax
  // output the one output picture gets w1 - w0, which decides between the two classes.
  function drawWeights(context, weights, layout, node, softmax) {
    const lines = [];
    weights.forEach((matrix, layer) => {
      const last = layer === weights.length - 1;
      matrix.forEach((row, from) => {
        const outgoing = last ? [softmax ? row[1] - row[0] : row[0]] : row;
        outgoing.forEach((weight, to) => lines.push({ weight, from: layout[layer][from], to: layout[layer + 1][to] }));
      });
    });
    const largest = Math.max(1e-9, ...lines.map((line) => Math.abs(line.weight)));
    context.globalAlpha = 0.75;
    for (const line of lines) {
      context.beginPath();
      context.moveTo(line.from[0] + node, line.from[1] + node / 2);
      context.lineTo(line.to[0], line.to[1] + node / 2);
      context.strokeStyle = line.weight >= 0 ? "rgb(" + BLUE + ")" : "rgb(" + ORANGE + ")";
      context.lineWidth = 0.4 + 4.5 * Math.abs(line.weight) / largest;
      context.stroke();
    }
    context.globalAlpha = 1;
  }

  function buildLayerControls() {
    const row = $("layer-controls");
    row.textContent = "";
    const cell = (text) => {
      const element = document.createElement("div");
      if (text) element.textContent = text;
      row.appendChild(element);
      return element;
    };
    cell(t("inputs") + " x\u2081, x\u2082");
    state.hiddenLayers.forEach((count, layer) => {
      const element = cell("");
      const buttons = document.createElement("div");
      buttons.className = "neuron-buttons";
      buttons.appendChild(neuronButton("\u2212", layer, -1, count <= 1, t("remove_neuron")));
      buttons.appendChild(neuronButton("+", layer, 1, count >= MAX_NEURONS, t("add_neuron")));
      element.appendChild(buttons);
      const label = document.createElement("span");
      label.className = "neuron-count";
      label.textContent = count + " " + t(count === 1 ? "neuron" : "neurons");
      element.appendChild(label);
    });
    cell(t("output"));
    const hidden = state.hiddenLayers.length;
    $("hidden-count").textContent = String(hidden);
    $("hidden-label").textContent = t(hidden === 1 ? "hidden_layer" : "hidden_layers");
    $("add-layer").disabled = hidden >= MAX_HIDDEN_LAYERS;
    $("remove-layer").disabled = hidden === 0;
  }

  function neuronButton(text, layer, change, disabled, title) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "round small neuron-" + (change > 0 ? "plus" : "minus");
    button.textContent = text;
    button.title = title;
    button.setAttribute("aria-label", title);
    button.disabled = disabled;
    button.addEventListener("click", () => {
      state.hiddenLayers[layer] += change;
      buildLayerControls();
      configure();
    });
    return button;
  }

  // -- curves and numbers -------------------------------------------------------------------------

  function drawChart(canvas, key, validationKey, fixedTop) {
    const { context, width, height } = prepare(canvas);
    const history = state.history;
    if (!history.length) return;
    const values = history.flatMap((point) => [point[key], point[validationKey]]).filter((value) => Number.isFinite(value));
    const top = fixedTop || Math.max(1e-6, ...values) * 1.05;
    const first = history[0].epoch;
    const span = Math.max(1, history[history.length - 1].epoch - first);
    const pad = 4;
    const place = (point, name) => [pad + (point.epoch - first) / span * (width - 2 * pad), height - pad - point[name] / top * (height - 2 * pad)];
    for (const [name, colour, dash] of [[key, INK, []], [validationKey, "rgb(" + BLUE + ")", [4, 3]]]) {
      context.beginPath();
      history.forEach((point, index) => {
        if (!Number.isFinite(point[name])) return;
        const [x, y] = place(point, name);
        if (index === 0) context.moveTo(x, y); else context.lineTo(x, y);
      });
      context.setLineDash(dash);
      context.strokeStyle = colour;
      context.lineWidth = 1.5;
      context.stroke();
    }
    context.setLineDash([]);
    context.fillStyle = "#5f6b76";
    context.font = "10px system-ui, sans-serif";
    context.fillText(formatNumber(top, fixedTop ? 0 : 2), pad + 2, 12);
  }

  function showMetrics(frame) {
    const metrics = frame.metrics;
    const cells = { "train-loss": [metrics.loss, false], "train-accuracy": [metrics.accuracy, true],
                    "val-loss": [metrics.val_loss, false], "val-accuracy": [metrics.val_accuracy, true] };
    for (const [id, [value, isShare]] of Object.entries(cells)) {
      const element = $(id);
      element.textContent = isShare ? formatPercent(value) : formatNumber(value, 3);
      element.dataset.value = value === null ? "" : String(value);
    }
    $("epoch").textContent = String(frame.epoch);
    $("metrics").dataset.epoch = String(frame.epoch);
  }

  function showPlaying() {
    const button = $("play");
    button.textContent = state.playing ? "\u275A\u275A" : "\u25B6";
    button.title = t(state.playing ? "pause" : "play");
    button.setAttribute("aria-label", button.title);
    button.dataset.playing = String(state.playing);
  }

  function showSliderValues() {
    $("noise-value").textContent = formatNumber(Number($("noise").value), 2);
    $("validation-value").textContent = $("validation_fraction").value + "%";
  }

  function showMessage(text, code) {
    const box = $("message");
    box.textContent = text;
    box.dataset.code = code || "";
    box.hidden = false;
  }

  function hideMessage() {
    $("message").hidden = true;
  }

  function saveFile(name, bytes) {
    const address = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    const link = document.createElement("a");
    link.href = address;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(address), 10000);
  }

  function copyCode() {
    const done = () => {
      $("copy").textContent = t("copied");
      window.setTimeout(() => { $("copy").textContent = t("copy"); }, 1500);
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(state.code).then(done, selectCode);
    } else {
      selectCode();
    }
  }

  function selectCode() {
    const range = document.createRange();
    range.selectNodeContents($("code"));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // -- controls -------------------------------------------------------------------------------------

  function listen() {
    $("play").addEventListener("click", () => send({ type: state.playing ? "pause" : "play" }));
    $("step").addEventListener("click", () => send({ type: "step" }));
    $("reset").addEventListener("click", () => send({ type: "reset" }));
    $("download").addEventListener("click", () => send({ type: "download" }));
    $("copy").addEventListener("click", copyCode);
    $("lang-en").addEventListener("click", () => applyLanguage("en"));
    $("lang-pt").addEventListener("click", () => applyLanguage("pt-BR"));
    $("add-layer").addEventListener("click", () => {
      state.hiddenLayers.push(state.hiddenLayers.length ? state.hiddenLayers[state.hiddenLayers.length - 1] : 4);
      buildLayerControls();
      configure();
    });
    $("remove-layer").addEventListener("click", () => {
      state.hiddenLayers.pop();
      buildLayerControls();
      configure();
    });
    for (const button of document.querySelectorAll("[data-dataset]")) {
      button.addEventListener("click", () => {
        state.dataset = button.dataset.dataset;
        for (const other of document.querySelectorAll("[data-dataset]")) other.setAttribute("aria-checked", String(other === button));
        configure();
      });
    }
    for (const id of ["learning_rate", "optimizer", "activation", "output", "batch_size", "l2", "dropout",
                      "n_samples", "seed", "noise", "validation_fraction"]) {
      $(id).addEventListener("change", configure);
    }
    for (const id of ["noise", "validation_fraction"]) {
      $(id).addEventListener("input", showSliderValues);
      $(id).addEventListener("change", showSliderValues);
    }
    $("new-seed").addEventListener("click", () => {
      $("seed").value = String(Math.floor(Math.random() * 100000));
      configure();
    });
    $("show-validation").addEventListener("change", drawAll);
    $("network").addEventListener("mousemove", (event) => {
      const box = event.currentTarget.getBoundingClientRect();
      const x = event.clientX - box.left, y = event.clientY - box.top;
      const found = state.nodes.find((node) => x >= node.x && x <= node.x + node.size && y >= node.y && y <= node.y + node.size);
      event.currentTarget.title = found ? found.title : "";
    });
    window.addEventListener("resize", drawAll);
  }

  listen();
  applyLanguage(initialLanguage());
  connect();
})();

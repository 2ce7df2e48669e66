/*
 * The page "Draw a digit" (book/live_network.md): the course CNN, run in the page by
 * TensorFlow.js on the CPU, on a digit drawn with a mouse, a pen or a finger.
 *
 * The drawing becomes MNIST's form as utils/drawing.py makes it (strokes_to_ink, then
 * mnist_like): the same steps, in float64, so that the two agree to round-off (about 1e-15) and
 * the browser tests can hold them side by side. Only a drawing whose centre of mass falls
 * exactly on a half pixel may be placed a pixel apart, where round-off decides the rounding. The network is the one of utils.build_seed_cnn, computed layer
 * by layer with tf.conv2d, tf.maxPool and tf.matMul so that every layer's maps can be shown.
 *
 * window.cnnLive is the page's interface for its tests: ready (a promise), predict(pixels, n),
 * strokes(), input(), probabilities() and timings (milliseconds from the end of each stroke to
 * updated probabilities and maps).
 */
(function () {
  'use strict';

  var CANVAS = 280;          // utils.drawing.CANVAS
  var PEN_WIDTH = 18.0;      // utils.drawing.PEN_WIDTH
  var FIELD = 28;
  var BOX = 20;

  var root = document.getElementById('cnn-live');
  if (!root) return;

  // ---- Drawing: strokes to ink (utils.drawing.strokes_to_ink) -------------------------------

  var ink = new Float64Array(CANVAS * CANVAS);
  var strokes = [];
  var digitShown = null;  // the MNIST test digit loaded with a button, until the pen draws

  function inkSegment(ax, ay, bx, by) {
    var radius = PEN_WIDTH / 2 + 0.5;
    var dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
    var r0 = Math.max(0, Math.floor(Math.min(ay, by) - radius));
    var r1 = Math.min(CANVAS - 1, Math.ceil(Math.max(ay, by) + radius));
    var c0 = Math.max(0, Math.floor(Math.min(ax, bx) - radius));
    var c1 = Math.min(CANVAS - 1, Math.ceil(Math.max(ax, bx) + radius));
    for (var r = r0; r <= r1; r++) {
      var py = r + 0.5;
      for (var c = c0; c <= c1; c++) {
        var px = c + 0.5;
        var t = 0;
        if (length2 > 0) {
          t = ((px - ax) * dx + (py - ay) * dy) / length2;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
        }
        var distance = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
        var value = radius - distance;
        value = value < 0 ? 0 : value > 1 ? 1 : value;
        var k = r * CANVAS + c;
        if (value > ink[k]) ink[k] = value;
      }
    }
  }

  // ---- MNIST's form (utils.drawing.mnist_like) ---------------------------------------------

  function areaWeights(source, target) {
    var scale = source / target, weights = [];
    for (var t = 0; t < target; t++) {
      var row = new Float64Array(source);
      var start = t * scale, stop = (t + 1) * scale;
      for (var s = Math.floor(start); s < Math.min(Math.ceil(stop), source); s++) {
        row[s] = (Math.min(stop, s + 1) - Math.max(start, s)) / scale;
      }
      weights.push(row);
    }
    return weights;
  }

  function roundHalfUp(value) { return Math.floor(value + 0.5); }

  function mnistLike(values, size) {
    var field = new Float64Array(FIELD * FIELD);
    var top = -1, bottom = -1, left = size, right = -1;
    for (var r = 0; r < size; r++) {
      for (var c = 0; c < size; c++) {
        if (values[r * size + c] > 0) {
          if (top < 0) top = r;
          bottom = r;
          if (c < left) left = c;
          if (c > right) right = c;
        }
      }
    }
    if (top < 0) return field;
    var height = bottom - top + 1, width = right - left + 1;
    var scale = BOX / Math.max(height, width);
    var newHeight = Math.max(1, roundHalfUp(height * scale));
    var newWidth = Math.max(1, roundHalfUp(width * scale));
    var wy = areaWeights(height, newHeight), wx = areaWeights(width, newWidth);
    // (wy @ crop) @ wx.T, as NumPy evaluates it in utils.drawing.mnist_like
    var rows = [];
    for (var i = 0; i < newHeight; i++) {
      var row = new Float64Array(width);
      for (var h = 0; h < height; h++) {
        var w = wy[i][h];
        if (w === 0) continue;
        var base = (top + h) * size + left;
        for (var x = 0; x < width; x++) row[x] += w * values[base + x];
      }
      rows.push(row);
    }
    var scaled = new Float64Array(newHeight * newWidth);
    for (i = 0; i < newHeight; i++) {
      for (var j = 0; j < newWidth; j++) {
        var sum = 0, wxj = wx[j];
        for (x = 0; x < width; x++) sum += rows[i][x] * wxj[x];
        scaled[i * newWidth + j] = sum < 0 ? 0 : sum > 1 ? 1 : sum;  // np.clip, as in Python
      }
    }
    var mass = 0, my = 0, mx = 0;
    for (i = 0; i < newHeight; i++) {
      var rowSum = 0;
      for (j = 0; j < newWidth; j++) rowSum += scaled[i * newWidth + j];
      my += rowSum * (i + 0.5);
    }
    for (j = 0; j < newWidth; j++) {
      var colSum = 0;
      for (i = 0; i < newHeight; i++) colSum += scaled[i * newWidth + j];
      mx += colSum * (j + 0.5);
      mass += colSum;
    }
    var cy = my / mass, cx = mx / mass;
    var y0 = Math.min(Math.max(roundHalfUp(FIELD / 2 - cy), 0), FIELD - newHeight);
    var x0 = Math.min(Math.max(roundHalfUp(FIELD / 2 - cx), 0), FIELD - newWidth);
    for (i = 0; i < newHeight; i++) {
      for (j = 0; j < newWidth; j++) field[(y0 + i) * FIELD + x0 + j] = scaled[i * newWidth + j];
    }
    return field;
  }

  // ---- The network ---------------------------------------------------------------------

  function halfToFloat(bits) {
    var sign = bits & 0x8000 ? -1 : 1, exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
    if (exponent === 0) return sign * Math.pow(2, -14) * (fraction / 1024);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * Math.pow(2, exponent - 15) * (1 + fraction / 1024);
  }

  function loadWeights(network) {
    var bytes = Uint8Array.from(atob(network.data), function (ch) { return ch.charCodeAt(0); });
    var view = new DataView(bytes.buffer), half = network.dtype === 'float16';
    var tensors = {};
    network.arrays.forEach(function (array) {
      var size = array.shape.reduce(function (a, b) { return a * b; }, 1);
      var values = new Float32Array(size);
      for (var k = 0; k < size; k++) {
        var at = array.offset + k;
        values[k] = half ? halfToFloat(view.getUint16(2 * at, true)) : view.getFloat32(4 * at, true);
      }
      tensors[array.name] = tf.tensor(values, array.shape, 'float32');
    });
    return tensors;
  }

  var weights = null;

  function forward(x) {  // x: [N, 28, 28, 1]; every layer's output, as utils.build_seed_cnn
    return tf.tidy(function () {
      var conv1 = tf.relu(tf.add(tf.conv2d(x, weights['conv1.kernel'], 1, 'valid'), weights['conv1.bias']));
      var pool1 = tf.maxPool(conv1, 2, 2, 'valid');
      var conv2 = tf.relu(tf.add(tf.conv2d(pool1, weights['conv2.kernel'], 1, 'valid'), weights['conv2.bias']));
      var pool2 = tf.maxPool(conv2, 2, 2, 'valid');
      var flat = tf.reshape(pool2, [x.shape[0], -1]);
      var dense = tf.relu(tf.add(tf.matMul(flat, weights['dense.kernel']), weights['dense.bias']));
      var output = tf.softmax(tf.add(tf.matMul(dense, weights['output.kernel']), weights['output.bias']));
      return { conv1: conv1, pool1: pool1, conv2: conv2, pool2: pool2, output: output };
    });
  }

  function predict(pixels, n) {  // uint8 pixels of n 28x28 images -> n rows of 10 probabilities
    var rows = [];
    for (var start = 0; start < n; start += 100) {
      var count = Math.min(100, n - start);
      var values = new Float32Array(count * FIELD * FIELD);
      for (var k = 0; k < values.length; k++) values[k] = pixels[start * FIELD * FIELD + k] / 255;
      var x = tf.tensor4d(values, [count, FIELD, FIELD, 1]);
      var layers = forward(x);
      var probabilities = layers.output.arraySync();
      tf.dispose([x, layers]);
      rows = rows.concat(probabilities);
    }
    return rows;
  }

  // ---- What the page shows -----------------------------------------------------------------

  var canvas = document.getElementById('cnn-live-canvas');
  var context = canvas.getContext('2d');
  var inputCanvas = document.getElementById('cnn-live-input');
  var verdict = document.getElementById('cnn-live-verdict');
  var bars = document.getElementById('cnn-live-bars');
  var colormap = null;  // 256 [r, g, b], chapter 7's magma
  var lastInput = new Float64Array(FIELD * FIELD), lastProbabilities = null;
  var timings = [];

  function paintInk() { paintGrey(canvas, ink, CANVAS); }

  function paintGrey(target, values, size) {  // values in [0, 1]: dark ink on paper
    var ctx = target.getContext('2d'), image = ctx.createImageData(size, size);
    for (var k = 0; k < size * size; k++) {
      var level = Math.round(255 * (1 - values[k]));
      image.data[4 * k] = image.data[4 * k + 1] = image.data[4 * k + 2] = level;
      image.data[4 * k + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }

  function mapCanvases(name, count, size) {
    var holder = document.getElementById('cnn-live-' + name), list = [];
    for (var m = 0; m < count; m++) {
      var small = document.createElement('canvas');
      small.width = small.height = size;
      small.setAttribute('aria-hidden', 'true');
      small.title = name + ', map ' + m;
      holder.appendChild(small);
      list.push(small);
    }
    return list;
  }

  var maps = {};

  function paintMaps(name, tensor) {  // tensor [1, size, size, channels], one layer's maps
    var values = tensor.dataSync(), size = tensor.shape[1], channels = tensor.shape[3];
    var top = 0;
    for (var k = 0; k < values.length; k++) if (values[k] > top) top = values[k];
    maps[name].forEach(function (target, m) {
      var ctx = target.getContext('2d'), image = ctx.createImageData(size, size);
      for (var p = 0; p < size * size; p++) {
        var level = top > 0 ? Math.min(255, Math.floor(256 * values[p * channels + m] / top)) : 0;
        var rgb = colormap[level];
        image.data[4 * p] = rgb[0];
        image.data[4 * p + 1] = rgb[1];
        image.data[4 * p + 2] = rgb[2];
        image.data[4 * p + 3] = 255;
      }
      ctx.putImageData(image, 0, 0);
    });
  }

  function showProbabilities(probabilities) {  // null: nothing drawn, every bar at 0
    var best = -1;
    for (var d = 0; d < 10 && probabilities; d++) {
      if (best < 0 || probabilities[d] > probabilities[best]) best = d;
    }
    for (d = 0; d < 10; d++) {
      var bar = bars.children[d];
      var percent = probabilities ? 100 * probabilities[d] : 0;
      bar.querySelector('.cnn-live-bar-fill').style.width = percent.toFixed(1) + '%';
      bar.querySelector('.cnn-live-bar-value').textContent = percent.toFixed(1) + ' %';
      bar.classList.toggle('cnn-live-best', d === best);
    }
  }

  function sayVerdict() {  // once a stroke ends, not at every move: a screen reader reads it
    if (!lastProbabilities) {
      verdict.textContent = 'Draw a digit, or load one of MNIST\u2019s.';
      return;
    }
    var best = 0;
    for (var d = 1; d < 10; d++) if (lastProbabilities[d] > lastProbabilities[best]) best = d;
    verdict.textContent = 'The network reads ' + (best === 8 ? 'an ' : 'a ') + best +
      ', with probability ' + lastProbabilities[best].toFixed(2) + '.';
  }

  function paintBlank(name) {
    maps[name].forEach(function (target) {
      var ctx = target.getContext('2d');
      ctx.fillStyle = '#000000';
      ctx.fillRect(0, 0, target.width, target.height);
    });
  }

  var LAYERS = ['conv1', 'pool1', 'conv2', 'pool2'];

  function update() {
    lastInput = digitShown ? digitShown : mnistLike(ink, CANVAS);
    paintGrey(inputCanvas, lastInput, FIELD);
    if (!digitShown && strokes.length === 0) {  // nothing drawn: nothing to read
      LAYERS.forEach(paintBlank);
      lastProbabilities = null;
    } else {
      var x = tf.tensor4d(Float32Array.from(lastInput), [1, FIELD, FIELD, 1]);
      var layers = forward(x);
      LAYERS.forEach(function (name) { paintMaps(name, layers[name]); });
      lastProbabilities = Array.from(layers.output.dataSync());
      tf.dispose([x, layers]);
    }
    showProbabilities(lastProbabilities);
    if (!drawing) sayVerdict();
    root.dataset.updates = String(Number(root.dataset.updates || 0) + 1);
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(function () { scheduled = false; update(); });
  }

  // ---- The pen -----------------------------------------------------------------------------

  var drawing = false, pen = null;  // the one pointer that draws, while it is down
  function point(event) {  // in pixels of the ink, inside the canvas' border
    var box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left - canvas.clientLeft) * CANVAS / canvas.clientWidth,
      (event.clientY - box.top - canvas.clientTop) * CANVAS / canvas.clientHeight];
  }

  function startAfresh() {
    ink.fill(0);
    strokes = [];
    digitShown = null;
  }

  canvas.addEventListener('pointerdown', function (event) {
    if (!weights || drawing || event.button !== 0) return;  // one pen, its main button only
    event.preventDefault();
    pen = event.pointerId;
    if (digitShown) startAfresh();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    var p = point(event);
    strokes.push([p]);
    inkSegment(p[0], p[1], p[0], p[1]);
    paintInk();
    schedule();
  });
  canvas.addEventListener('pointermove', function (event) {
    if (!drawing || event.pointerId !== pen) return;
    var stroke = strokes[strokes.length - 1], last = stroke[stroke.length - 1], p = point(event);
    stroke.push(p);
    inkSegment(last[0], last[1], p[0], p[1]);
    paintInk();
    schedule();
  });
  function endStroke(event) {
    if (!drawing || event.pointerId !== pen) return;
    drawing = false;
    pen = null;
    var start = performance.now();
    update();
    timings.push(performance.now() - start);
  }
  canvas.addEventListener('pointerup', endStroke);
  canvas.addEventListener('pointercancel', endStroke);
  canvas.addEventListener('contextmenu', function (event) { event.preventDefault(); });

  document.getElementById('cnn-live-clear').addEventListener('click', function () {
    startAfresh();
    paintInk();
    update();
  });

  function loadDigit(digit) {
    var bytes = Uint8Array.from(atob(digit.pixels), function (ch) { return ch.charCodeAt(0); });
    startAfresh();
    digitShown = Float64Array.from(bytes, function (b) { return b / 255; });
    for (var r = 0; r < CANVAS; r++) {
      for (var c = 0; c < CANVAS; c++) ink[r * CANVAS + c] = digitShown[Math.floor(r / 10) * FIELD + Math.floor(c / 10)];
    }
    paintInk();
    update();
  }

  // ---- Start -------------------------------------------------------------------------------

  function build() {
    for (var d = 0; d < 10; d++) {
      var bar = document.createElement('li');
      bar.innerHTML = '<span class="cnn-live-bar-label">' + d + '</span>' +
        '<span class="cnn-live-bar-track"><span class="cnn-live-bar-fill"></span></span>' +
        '<span class="cnn-live-bar-value">0.0 %</span>';
      bars.appendChild(bar);
    }
    maps.conv1 = mapCanvases('conv1', 32, 24);
    maps.pool1 = mapCanvases('pool1', 32, 12);
    maps.conv2 = mapCanvases('conv2', 64, 8);
    maps.pool2 = mapCanvases('pool2', 64, 4);
    var buttons = document.getElementById('cnn-live-digits');
    (window.cnnLiveDigits ? window.cnnLiveDigits.digits : []).forEach(function (digit) {
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = String(digit.label);
      button.setAttribute('aria-label', 'Load test image ' + digit.index + ', a ' + digit.label);
      button.addEventListener('click', function () { loadDigit(digit); });
      buttons.appendChild(button);
    });
  }

  var ready = (async function () {
    var network = window.cnnLiveNetwork;
    if (!network || !window.tf) throw new Error('the network or TensorFlow.js did not load');
    await tf.setBackend('cpu');
    await tf.ready();
    colormap = network.colormap.map(function (hex) {
      return [1, 3, 5].map(function (i) { return parseInt(hex.substr(i, 2), 16); });
    });
    weights = loadWeights(network);
    build();
    paintInk();
    update();
    root.dataset.state = 'ready';
    root.dataset.dtype = network.dtype;
  })();
  ready.catch(function (error) {
    root.dataset.state = 'failed';
    verdict.textContent = 'The network could not start here: ' + error.message;
    throw error;
  });

  window.cnnLive = {
    ready: ready,
    predict: predict,
    strokes: function () { return strokes.map(function (s) { return s.map(function (p) { return p.slice(); }); }); },
    input: function () { return Array.from(lastInput); },
    probabilities: function () { return lastProbabilities && lastProbabilities.slice(); },
    timings: timings,
    mnistLike: function (values, size) { return Array.from(mnistLike(values, size)); }
  };
})();

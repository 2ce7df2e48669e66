/*
 * The convolution-geometry explorer of chapter 4 (utils.geometry_explorer), in the page itself:
 * no kernel needed, so it works in the published book as in Jupyter and on Colab.
 *
 * For a square input of n x n pixels, an f x f kernel, padding ("valid", "same" or p pixels on
 * every side) and stride s, it draws the padded input with the windows laid on it (all together,
 * or one at a time with the output value each one makes), writes the output size with the
 * formula's terms filled in, and marks the input pixels that no window reads. The arithmetic is
 * that of utils.output_size, utils.same_padding and utils.unused_pixels; tests/test_explorer_page.py
 * holds the page to them and to Keras.
 */
(function (box) {
  'use strict';
  if (!box || box.dataset.started) return;
  box.dataset.started = 'yes';
  var SVG = 'http://www.w3.org/2000/svg';
  var controls = {};
  ['n', 'f', 'padding', 's', 'window'].forEach(function (name) {
    controls[name] = box.querySelector('[data-control="' + name + '"]');
  });
  var picture = box.querySelector('.cnn-geometry-picture');
  var formula = box.querySelector('.cnn-geometry-formula');
  var unreadText = box.querySelector('.cnn-geometry-unread');
  var windowText = box.querySelector('.cnn-geometry-window-text');

  // ---- The arithmetic (utils.shapes and utils.explorer) ------------------------------------

  function geometry(n, f, padding, s) {
    var before, after, size;
    if (padding === 'same') {  // utils.same_padding
      size = Math.ceil(n / s);
      var total = Math.max((size - 1) * s + f - n, 0);
      before = Math.floor(total / 2);
      after = total - before;
    } else {
      before = after = padding === 'valid' ? 0 : Number(padding);
      if (n + before + after < f) return { before: before, after: after, size: 0 };
      size = Math.floor((n + before + after - f) / s) + 1;  // utils.output_size
    }
    var read = [];
    for (var i = 0; i < n; i++) read.push(false);
    for (var k = 0; k < size; k++) {
      for (var t = 0; t < f; t++) {
        var pixel = k * s + t - before;
        if (pixel >= 0 && pixel < n) read[pixel] = true;
      }
    }
    var unread = [];
    read.forEach(function (wasRead, i) { if (!wasRead) unread.push(i); });
    return { before: before, after: after, size: size, unread: unread };
  }

  // ---- Drawing -----------------------------------------------------------------------------

  function element(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function draw(n, f, s, g, shown) {
    var cell = Math.max(12, Math.min(30, Math.floor(300 / (n + g.before + g.after))));
    var side = n + g.before + g.after, gap = 2 * cell;
    var outCell = g.size > 0 ? Math.min(cell, Math.floor(180 / g.size)) : cell;
    var width = side * cell + gap + Math.max(g.size, 1) * outCell + 2;
    var height = Math.max(side * cell, g.size * outCell) + 22;
    picture.innerHTML = '';
    var svg = element('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width,
      height: height, 'aria-hidden': 'true' }, picture);
    var unread = {};
    g.unread.forEach(function (i) { unread[i] = true; });
    for (var r = 0; r < side; r++) {
      for (var c = 0; c < side; c++) {
        var i = r - g.before, j = c - g.before;
        var inside = i >= 0 && i < n && j >= 0 && j < n;
        var lost = inside && (unread[i] || unread[j]);
        var x0 = 1 + c * cell, y0 = 1 + r * cell;
        element('rect', { x: x0, y: y0, width: cell, height: cell,
          class: inside ? (lost ? 'cnn-geometry-unread-pixel' : 'cnn-geometry-pixel')
            : 'cnn-geometry-padding' }, svg);
        if (lost) {  // a cross as well as red: not told by colour alone
          var m = cell / 4;
          element('path', { d: 'M' + (x0 + m) + ' ' + (y0 + m) + 'L' + (x0 + cell - m) + ' ' +
            (y0 + cell - m) + 'M' + (x0 + cell - m) + ' ' + (y0 + m) + 'L' + (x0 + m) + ' ' +
            (y0 + cell - m), class: 'cnn-geometry-cross' }, svg);
        }
      }
    }
    var windows = [];
    for (var a = 0; a < g.size; a++) for (var b = 0; b < g.size; b++) windows.push([a, b]);
    windows.forEach(function (position, k) {
      if (shown >= 0 && k !== shown) return;
      element('rect', { x: 1 + position[1] * s * cell + 2, y: 1 + position[0] * s * cell + 2,
        width: f * cell - 4, height: f * cell - 4,
        class: shown >= 0 ? 'cnn-geometry-window-one' : 'cnn-geometry-window' }, svg);
    });
    var left = 1 + side * cell + gap;
    element('text', { x: 1, y: side * cell + 16, class: 'cnn-geometry-label' }, svg).textContent =
      'input, ' + n + '\u00d7' + n + (g.before + g.after ? ' (grey: padding)' : '') +
      (g.unread.length ? ' (red \u00d7: not read)' : '');
    element('text', { x: left, y: g.size * outCell + 16, class: 'cnn-geometry-label' }, svg)
      .textContent = 'output, ' + g.size + '\u00d7' + g.size;
    for (a = 0; a < g.size; a++) {
      for (b = 0; b < g.size; b++) {
        var current = shown >= 0 && a * g.size + b === shown;
        element('rect', { x: left + b * outCell, y: 1 + a * outCell, width: outCell,
          height: outCell, class: current ? 'cnn-geometry-output-one' : 'cnn-geometry-output' }, svg);
      }
    }
  }

  // ---- Words -------------------------------------------------------------------------------

  function floorFormula(n, f, before, after, s, size) {
    var padded = before === after ? n + ' + 2\u00b7' + before : n + ' + ' + before + ' + ' + after;
    return '\u230a(' + padded + ' \u2212 ' + f + ') / ' + s + '\u230b + 1 = ' + size;
  }

  function showValues() {  // the number beside each slider, once every value is settled
    box.querySelectorAll('[data-shows]').forEach(function (output) {
      output.textContent = controls[output.dataset.shows].value;
    });
  }

  function span(first, last) {
    return first === last ? ' ' + first : 's ' + first + ' to ' + last;
  }

  function update() {
    var n = Number(controls.n.value), f = Number(controls.f.value), s = Number(controls.s.value);
    var padding = controls.padding.value;
    var g = geometry(n, f, padding, s);
    box.dataset.outputSize = String(g.size);
    box.dataset.padding = g.before + ',' + g.after;
    box.dataset.unread = (g.unread || []).join(',');
    if (g.size === 0) {
      formula.textContent = 'No window fits: the kernel (f = ' + f + ') is larger than the ' +
        'padded input (n + 2p = ' + (n + g.before + g.after) + ').';
      unreadText.textContent = '';
      windowText.textContent = '';
      picture.innerHTML = '';
      controls.window.max = 0;
      controls.window.value = '0';
      controls.window.setAttribute('aria-valuetext', 'no windows');
      picture.setAttribute('aria-label', formula.textContent);
      showValues();
      return;
    }
    var words = 'Output size: ';
    if (padding === 'same') {
      words = 'Padding "same" pads ' + g.before + ' before and ' + g.after + ' after, the least ' +
        'that gives \u2308n / s\u2309 = \u2308' + n + ' / ' + s + '\u2309 = ' + g.size +
        ' positions: ';
    } else if (padding === 'valid') {
      words = 'Padding "valid" is p = 0. Output size: ';
    }
    formula.textContent = words + floorFormula(n, f, g.before, g.after, s, g.size) +
      ', so ' + g.size + '\u00d7' + g.size + '.';
    unreadText.textContent = g.unread.length === 0
      ? 'Every input pixel is read by some window.'
      : 'Rows and columns that no window reads (in red): ' + g.unread.join(', ') + ' of 0 to ' +
        (n - 1) + '.';
    var count = g.size * g.size;
    var wanted = Number(controls.window.value);
    controls.window.max = count;  // (a browser clamps a value above max: back to all instead)
    if (wanted > count) controls.window.value = '0';
    var shown = Number(controls.window.value) - 1;
    if (shown < 0) {
      windowText.textContent = count === 1 ? 'The one window.'
        : 'All ' + count + ' windows together.';
      controls.window.setAttribute('aria-valuetext', 'all windows');
    } else {
      var row = Math.floor(shown / g.size), col = shown % g.size;
      windowText.textContent = 'Window ' + (shown + 1) + ' of ' + count + ': padded row' +
        span(row * s, row * s + f - 1) + ', column' + span(col * s, col * s + f - 1) +
        ', gives output value (' + row + ', ' + col + ').';
      controls.window.setAttribute('aria-valuetext', 'window ' + (shown + 1) + ' of ' + count);
    }
    draw(n, f, s, g, shown);
    var padded = g.before + g.after === 0 ? 'no padding'
      : 'padded ' + g.before + ' before and ' + g.after + ' after';
    picture.setAttribute('aria-label', n + ' by ' + n + ' input, ' + padded + ', ' + f + ' by ' +
      f + ' windows with stride ' + s + ', output ' + g.size + ' by ' + g.size + '. ' +
      windowText.textContent + ' ' + unreadText.textContent);
    showValues();
  }

  ['n', 'f', 'padding', 's', 'window'].forEach(function (name) {
    controls[name].addEventListener('input', update);
    controls[name].addEventListener('change', update);
  });
  box.querySelectorAll('[data-step]').forEach(function (button) {
    button.addEventListener('click', function () {
      var max = Number(controls.window.max), value = Number(controls.window.value);
      controls.window.value = String((value + Number(button.dataset.step) + max + 1) % (max + 1));
      update();
    });
  });
  update();
  box.cnnGeometry = geometry;
})((document.currentScript && document.currentScript.previousElementSibling) || BOX);

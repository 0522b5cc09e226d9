/* The intake page (views/dossier_intake.py, templates/dossiers/intake.html). It only shows what
   the server computes: the procedure's processing time, due date, fees, channels and checklist
   (JSON from the server for "now", no rule here), and offers a returning applicant's details.
   Keyboard: the procedure picker has the focus on load; Enter in a field never sends the form
   (only the button does, or Ctrl+Enter anywhere in it). Scans may be chosen for the dossier and
   beside each document (choosing some ticks the document); files over the limits are caught
   here, before the send, so that the form stays as typed (the server checks them all again).
   Loaded as a static file (CSP). */
(function () {
  'use strict';
  var script = document.getElementById('intake-script');
  var form = document.getElementById('intake-form');
  if (!script || !form || !window.jQuery) { return; }
  var cfg = JSON.parse(script.dataset.config);
  var $ = window.jQuery;
  var button = document.getElementById('intake-submit');

  function byId(id) { return document.getElementById(id); }
  function text(id, value) { byId(id).textContent = value; }
  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  // The file box of templates/admin/file_picker.html, for a paper's scans: the browser's own
  // box (in the browser's language) behind a Vietnamese button; static/motcua.js writes the
  // names chosen.
  function filePicker(input) {
    var picker = el('span', {'class': 'vn-file'});
    picker.appendChild(input);
    picker.appendChild(el('label', {'for': input.id,
                                    'class': 'btn btn-outline-secondary btn-sm mb-0 vn-file-button'},
                          cfg.words.choose_files));
    picker.appendChild(el('span', {id: input.id + '-chosen',
                                   'class': 'vn-file-name text-muted small ml-2',
                                   'data-none': cfg.words.no_file, 'data-many': cfg.words.files_chosen},
                          cfg.words.no_file));
    return picker;
  }

  // ---- Enter never sends half a form; Ctrl+Enter presses the one button ---------------------
  form.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter') { return; }
    var target = event.target;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
      return;
    }
    // (a file input: Enter opens its chooser, as Space does; it never sends a form)
    if (target.tagName === 'INPUT' && !/^(submit|button|image|reset|file)$/i.test(target.type)) {
      event.preventDefault();
    }
  });

  // ---- the procedure: what the server says it takes ------------------------------------------
  function checklist(data) {
    var box = byId('intake-documents');
    box.textContent = '';
    var posted = cfg.posted || {};
    var keep = Object.keys(posted).length > 0;
    data.documents.forEach(function (doc) {
      var key = 'checklist-' + doc.id;
      var row = el('div', {'class': 'form-row align-items-center mb-1 intake-document'});
      var tick = el('div', {'class': 'col-7 form-check pl-4'});
      var box1 = el('input', {type: 'checkbox', 'class': 'form-check-input', id: key, name: key,
                               value: '1'});
      box1.checked = keep ? posted[key] === '1' : doc.required;  // "(nếu có)": when brought
      tick.appendChild(box1);
      tick.appendChild(el('label', {'class': 'form-check-label', 'for': key},
        doc.position + '. ' + doc.name + (doc.required ? '' : ' (' + cfg.words.optional + ')')));
      var kind = el('select', {name: key + '-kind', 'class': 'form-control form-control-sm',
                               'aria-label': cfg.words.kind + ': ' + doc.name});
      data.kinds.forEach(function (k) {
        var option = el('option', {value: k[0]}, k[1]);
        option.selected = (keep && posted[key + '-kind'] ? posted[key + '-kind'] : doc.kind) === k[0];
        kind.appendChild(option);
      });
      var copies = el('input', {type: 'number', min: '1', max: '99', name: key + '-copies',
                                'class': 'form-control form-control-sm',
                                'aria-label': cfg.words.copies + ': ' + doc.name,
                                value: String(keep && posted[key + '-copies'] || doc.copies)});
      var kindCol = el('div', {'class': 'col-3'});
      kindCol.appendChild(kind);
      var copiesCol = el('div', {'class': 'col-2'});
      copiesCol.appendChild(copies);
      var scans = el('input', {type: 'file', name: key + '-files', multiple: 'multiple',
                               accept: cfg.files.accept, id: key + '-files',
                               'class': 'vn-file-input intake-document-files',
                               'aria-label': cfg.words.scans + ': ' + doc.name});
      scans.addEventListener('change', function () {
        if (scans.files.length) { box1.checked = true; }  // a paper scanned is a paper received
      });
      var scansCol = el('div', {'class': 'col-12 pl-4 mb-1'});
      scansCol.appendChild(filePicker(scans));
      row.appendChild(tick); row.appendChild(kindCol); row.appendChild(copiesCol);
      row.appendChild(scansCol);
      box.appendChild(row);
    });
    cfg.posted = {};  // another procedure chosen afterwards: its own checklist, all ticked
    byId('intake-checklist').classList.toggle('d-none', data.documents.length === 0);
  }

  function show(data) {
    text('intake-processing', data.text.processing);
    text('intake-due', data.text.due);
    var fees = byId('intake-fees');
    fees.textContent = '';
    if (data.text.fees.length === 0) {
      fees.textContent = cfg.words.none;
    } else {
      data.text.fees.forEach(function (line) { fees.appendChild(el('div', {}, line)); });
      if (data.text.fees.length > 1) {
        fees.appendChild(el('div', {'class': 'font-weight-bold'},
                            cfg.words.total + ': ' + data.text.fees_total));
      }
    }
    text('intake-channels', data.text.channels.join(', '));
    byId('intake-info').classList.remove('d-none');
    byId('intake-info').dataset.procedure = String(data.procedure_id);
    checklist(data);
  }

  function procedureChosen() {
    var id = $('#procedure').val();
    if (!id) {
      byId('intake-info').classList.add('d-none');
      byId('intake-checklist').classList.add('d-none');
      return;
    }
    var url = cfg.procedure_url.replace(/\/0\/$/, '/' + encodeURIComponent(id) + '/');
    fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && String(data.procedure_id) === $('#procedure').val()) { show(data); } });
  }

  // ---- files over the limits: said before the send, the form kept as typed ------------------
  form.addEventListener('submit', function (event) {
    var problems = [], total = 0, first = null;
    Array.prototype.forEach.call(form.querySelectorAll('input[type=file]'), function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        total += file.size;
        if (file.size > cfg.files.max_bytes) {
          problems.push(cfg.files.too_large.replace('{name}', file.name));
          first = first || input;
        }
      });
    });
    if (!problems.length && cfg.files.max_send && total > cfg.files.max_send) {
      problems.push(cfg.words.too_much);
    }
    var box = byId('intake-files-error');
    box.textContent = '';
    box.classList.toggle('d-none', problems.length === 0);
    if (!problems.length) { return; }
    event.preventDefault();
    problems.forEach(function (line) { box.appendChild(el('div', {}, line)); });
    (first || byId('intake-files')).focus();
  });

  // ---- a returning applicant ----------------------------------------------------------------
  function applicantChanged() {
    var value = byId('id_number').value.trim();
    var note = byId('intake-returning');
    note.classList.add('d-none');
    if (!value) { return; }
    var body = new URLSearchParams({id_number: value});
    fetch(cfg.applicant_url, {method: 'POST', credentials: 'same-origin', body: body,
                              headers: {'X-CSRFToken': cfg.csrf, 'Accept': 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.found || byId('id_number').value.trim() !== value) { return; }
        var filled = false;
        ['applicant_name', 'phone', 'address'].forEach(function (name) {
          var input = byId(name);
          if (input && !input.value && data[name]) { input.value = data[name]; filled = true; }
        });
        if (filled) {
          note.textContent = cfg.words.returning;
          note.classList.remove('d-none');
        }
      });
  }

  $(function () {
    $('#procedure').on('change', procedureChosen);
    byId('id_number').addEventListener('change', applicantChanged);
    if ($('#procedure').val()) { procedureChosen(); }  // shown again after an error
    window.setTimeout(function () {
      if ($('#procedure').data('select2')) { $('#procedure').select2('focus'); }
    }, 0);
  });
})();

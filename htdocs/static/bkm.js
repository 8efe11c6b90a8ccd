// SPDX-License-Identifier: Apache-2.0
// mod_bekymring's progressive enhancement.  Every page works without this
// file (the server does the filtering, the place names and the duplicate
// check); it only saves the reporter time.  Plain ES2019 for older phones,
// and nothing the Content-Security-Policy forbids (no inline code, no eval,
// only same-origin fetch).
(function () {
  'use strict';

  // ---- a. filter the municipality list as the user types -------------
  var sok = document.getElementById('kommune-sok');
  var liste = document.getElementById('kommune-liste');
  if (sok && liste) {
    var punkter = liste.querySelectorAll('li[data-sok]');
    var antall = document.getElementById('kommune-antall');

    var filtrer = function () {
      // data-sok is "0301 oslo": lower case, number first, so the same
      // substring test serves names and numbers.
      var tekst = sok.value.trim().toLowerCase().replace(/\s+/g, ' ');
      var vist = 0;
      for (var i = 0; i < punkter.length; i++) {
        var treff = punkter[i].getAttribute('data-sok').indexOf(tekst) !== -1;
        punkter[i].hidden = !treff;
        if (treff) vist++;
      }
      // role="status" reads the count out; the wording (and its
      // language) comes from the server in data-mal.
      if (antall && antall.hasAttribute('data-mal')) {
        var mal = vist === 1 && antall.hasAttribute('data-mal-en')
          ? antall.getAttribute('data-mal-en') : antall.getAttribute('data-mal');
        antall.textContent = mal.replace(/\{n\}/g, String(vist));
      }
      // "No municipality matches" is in the page already, hidden.
      var ingen = document.getElementById('kommune-ingen');
      if (ingen) ingen.hidden = vist !== 0;
    };
    sok.addEventListener('input', filtrer);
    // A back navigation may have restored the field's text.
    if (sok.value.trim() !== '') filtrer();
  }

  // ---- b. postal code -> place ----------------------------------------
  var postnumre = null;  // the one fetch, shared by every field
  var hentPostnumre = function () {
    if (!postnumre) {
      postnumre = fetch('/static/vendor/postnummer.json', { credentials: 'same-origin' })
        .then(function (svar) {
          if (!svar.ok) throw new Error('HTTP ' + svar.status);
          return svar.json();
        })
        .catch(function () {
          postnumre = null;  // try again on the next code; the field stays manual
          return null;
        });
    }
    return postnumre;
  };

  // Only a value this script wrote may be replaced or cleared: what the
  // user typed in the place field is theirs.
  var FYLT = 'data-bkm-fylt';
  var egenVerdi = function (sted) {
    return sted.hasAttribute(FYLT) && sted.value === sted.getAttribute(FYLT);
  };
  var tomEgen = function (sted) {
    if (egenVerdi(sted)) sted.value = '';
    sted.removeAttribute(FYLT);
  };

  document.addEventListener('input', function (hendelse) {
    var felt = hendelse.target;
    if (!(felt instanceof HTMLInputElement) || !felt.hasAttribute('data-postnummer-for')) return;
    var sted = document.getElementById(felt.getAttribute('data-postnummer-for'));
    if (!(sted instanceof HTMLInputElement)) return;

    var kode = felt.value.trim();
    if (!/^[0-9]{4}$/.test(kode)) {
      tomEgen(sted);
      return;
    }
    hentPostnumre().then(function (register) {
      // The user may have typed on while the file was loading.
      if (!register || felt.value.trim() !== kode) return;
      var navn = Object.prototype.hasOwnProperty.call(register, kode) ? register[kode] : null;
      if (typeof navn !== 'string') {
        tomEgen(sted);
      } else if ((sted.value === '' || egenVerdi(sted))
                 && document.activeElement !== sted) {
        // Not while the user is in the place field: what they are about
        // to type is theirs, and must not be run into our value.
        sted.value = navn;
        sted.setAttribute(FYLT, navn);
      }
    });
  });

  // ---- c. one send per page -------------------------------------------
  // A double click or an impatient second tap must not send the report
  // twice.  The button is not `disabled`: a disabled button would drop its
  // name=value (handling=send) from the very submission it started.
  var SENDER = 'data-bkm-sender';
  var sendeknapper = function (skjema) {
    return skjema.querySelectorAll('[name="handling"][value="send"]');
  };

  document.addEventListener('submit', function (hendelse) {
    var skjema = hendelse.target;
    if (!(skjema instanceof HTMLFormElement) || !skjema.hasAttribute('data-en-gang')) return;
    var knapper;
    var i;
    if (skjema.hasAttribute(SENDER)) {
      hendelse.preventDefault();
      knapper = sendeknapper(skjema);
      for (i = 0; i < knapper.length; i++) knapper[i].setAttribute('aria-disabled', 'true');
      return;
    }
    // Only the send button locks the form: "add a child" and the like
    // reload the same form and must keep working.  (Without
    // event.submitter, an old browser simply gets no lock.)
    var knapp = hendelse.submitter;
    if (knapp && knapp.name === 'handling' && knapp.value === 'send') {
      skjema.setAttribute(SENDER, '');
      knapp.setAttribute('aria-disabled', 'true');
    }
  });

  // Back to a page kept in the back-forward cache: the earlier send is
  // over (or was abandoned), so the form may be sent again.
  window.addEventListener('pageshow', function (hendelse) {
    if (!hendelse.persisted) return;
    var skjemaer = document.querySelectorAll('form[data-en-gang][' + SENDER + ']');
    for (var i = 0; i < skjemaer.length; i++) {
      skjemaer[i].removeAttribute(SENDER);
      var knapper = sendeknapper(skjemaer[i]);
      for (var j = 0; j < knapper.length; j++) knapper[j].removeAttribute('aria-disabled');
    }
  });
})();

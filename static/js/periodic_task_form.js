/* django-celery-beat's periodic task form: the crontab in words, in the user's language,
   shown once a crontab is chosen. The data comes from json_script blocks of the template. */
(function ($) {
  "use strict";
  var readableCrontabs = JSON.parse($("#readable-crontabs").text());
  var originalCrontabHelp = $(".field-crontab .help").first().text();
  var inWords = JSON.parse($("#crontab-in-words").text());

  function updateCrontabHelp(readable) {
    var help = $(".field-crontab .help").first();
    help.text(originalCrontabHelp);
    if (readable) {
      help.append($("<br>"), document.createTextNode(inWords + "：" + readable));
    }
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})(django.jQuery);

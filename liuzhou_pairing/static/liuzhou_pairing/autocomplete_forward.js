'use strict';
// An autocomplete select with data-forward="stage ..." sends the current values of those fields of its form with
// each search, so that the server narrows the choices (liuzhou_pairing.admin.forward_to_autocomplete).
{
    django.jQuery.ajaxPrefilter(function(options) {
        if (!options.url || !options.url.includes('/autocomplete/') || typeof options.data !== 'string') {
            return;
        }
        const params = new URLSearchParams(options.data);
        for (const select of document.querySelectorAll('select[data-forward]')) {
            if (select.dataset.fieldName !== params.get('field_name') ||
                    select.dataset.modelName !== params.get('model_name')) {
                continue;
            }
            for (const name of select.dataset.forward.split(' ')) {
                const field = select.form && select.form.elements[name];
                if (field && field.value && !params.has(name)) {
                    params.set(name, field.value);
                }
            }
        }
        options.data = params.toString();
    });
}

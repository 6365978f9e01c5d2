// Runtime settings: public/config.js (served beside the bundle) sets window.PGRESTD_CONFIG.
const settings = window.PGRESTD_CONFIG ?? {};

export const apiUrl = (settings.apiUrl ?? "http://127.0.0.1:3000").replace(/\/+$/, "");

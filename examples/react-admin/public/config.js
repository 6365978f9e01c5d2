// Runtime settings of the react-admin example, read when the page loads.
// apiUrl: where pgrestd serves the demo schema (`make run` in the repository root).
window.PGRESTD_CONFIG = {
  apiUrl: "http://127.0.0.1:3000",
};

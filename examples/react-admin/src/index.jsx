import { createRoot } from "react-dom/client";
import { HashRouter } from "react-router-dom";

import { App } from "./App";

// react-admin makes its own router when it is not inside one: a data router whose navigations are
// React transitions. Signing out then navigates to the login page while the query cache is cleared,
// and the cleared auth check renders the sign-out again before the transition commits: the page
// loops between the two for seconds, blank (react-admin issue #10764). A router that navigates
// synchronously commits the login page at once.
createRoot(document.getElementById("root")).render(
  <HashRouter useTransitions={false}>
    <App />
  </HashRouter>,
);

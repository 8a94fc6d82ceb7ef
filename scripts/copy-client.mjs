// npm postinstall: copy the pinned client bundles into pyview_core/static/vendor/ (ignored by git),
// where the app serves them. Runs after `npm ci`.
import {copyFileSync, mkdirSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "pyview_core", "static", "vendor");
mkdirSync(vendor, {recursive: true});
for (const [pkg, file] of [["phoenix", "phoenix.min.js"], ["phoenix_live_view", "phoenix_live_view.min.js"]]) {
  copyFileSync(join(root, "node_modules", pkg, "priv", "static", file), join(vendor, file));
  console.log(`pyview: copied ${pkg}/priv/static/${file} -> pyview_core/static/vendor/`);
}

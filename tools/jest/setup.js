// Makes the benchmark data directory known to every test: ../shared/data beside the
// repository, unless HWNAS_DATA says otherwise. Tests that need it call requireDataDir().
const path = require('node:path');
if (!process.env.HWNAS_DATA) {
  process.env.HWNAS_DATA = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
}

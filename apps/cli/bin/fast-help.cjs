// The help the bin prints without loading the bundle: `hwnas`, `hwnas --help`, `hwnas help` and
// `hwnas <command> --help`, from the texts the build wrote to help.json (main.ts's helpTexts()).
// It answers exactly the argument lists main() answers with a help text, with the same exit code;
// anything else is left to main().
'use strict';

/**
 * The text and exit code main(argv) would print and return, when that is a help text;
 * undefined otherwise. `texts` maps a command name ('' for the command list) to its help.
 */
function fastHelp(argv, texts) {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') return { text: texts[''], code: name ? 0 : 2 };
  if (Object.hasOwn(texts, name) && (rest.includes('--help') || rest.includes('-h'))) return { text: texts[name], code: 0 };
  return undefined;
}

module.exports = { fastHelp };

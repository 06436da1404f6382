import { TrainerCommandError } from './errors';

/**
 * Splits a command line into argv the way a POSIX shell splits words, without running a shell:
 * blanks separate words; `'...'` is literal; inside `"..."` a backslash escapes only `"`, `\`,
 * `$` and a backquote; outside quotes a backslash escapes the next character. No expansion of any
 * kind (`$VAR`, `~`, globs stay as written). Pure.
 *
 * Throws {@link TrainerCommandError} for an empty command, an unterminated quote or a trailing
 * backslash, naming the column (1-based).
 */
export function parseShellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const c = command[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new TrainerCommandError(`trainer command: unterminated single quote at column ${i + 1}: ${command}`);
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      const start = i;
      i++;
      for (;;) {
        if (i >= command.length) throw new TrainerCommandError(`trainer command: unterminated double quote at column ${start + 1}: ${command}`);
        const d = command[i];
        if (d === '"') break;
        if (d === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1])) {
          word += command[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= command.length) throw new TrainerCommandError(`trainer command: trailing backslash at column ${i + 1}: ${command}`);
      // A backslash-newline is a line continuation, as in the shell.
      if (command[i + 1] !== '\n') {
        word += command[i + 1];
        inWord = true;
      }
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new TrainerCommandError('trainer command is empty');
  return words;
}

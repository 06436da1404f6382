import { TrainerCommandError } from './errors';
import { parseShellWords } from './shell-words';

describe('parseShellWords', () => {
  it('parseShellWords - splits on blanks and keeps quoted words whole, without expansion', () => {
    expect(parseShellWords('  /usr/bin/python3   train.py --data DIR ')).toEqual(['/usr/bin/python3', 'train.py', '--data', 'DIR']);
    expect(parseShellWords(`python3 'my train.py' --name "a b" --lit '$HOME' "~/x"`)).toEqual(['python3', 'my train.py', '--name', 'a b', '--lit', '$HOME', '~/x']);
    expect(parseShellWords(`a"b c"'d e'f`)).toEqual(['ab cd ef']);
    expect(parseShellWords(`"" x ''`)).toEqual(['', 'x', '']);
  });

  it('parseShellWords - backslashes escape as in the shell', () => {
    expect(parseShellWords('a\\ b c')).toEqual(['a b', 'c']);
    expect(parseShellWords(`"say \\"hi\\" \\n"`)).toEqual(['say "hi" \\n']);
    expect(parseShellWords(`'no \\escape'`)).toEqual(['no \\escape']);
    expect(parseShellWords('a \\\n b')).toEqual(['a', 'b']);
  });

  it('parseShellWords - rejects empty commands and unbalanced quotes, naming the column', () => {
    expect(() => parseShellWords('   ')).toThrow(TrainerCommandError);
    expect(() => parseShellWords(`python3 'train.py`)).toThrow(/unterminated single quote at column 9/);
    expect(() => parseShellWords(`python3 "train.py`)).toThrow(/unterminated double quote at column 9/);
    expect(() => parseShellWords('python3 \\')).toThrow(/trailing backslash at column 9/);
  });
});

/** One test per extraction, normalization and comparison rule of the grader (docs/grading.md). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extractAnswer, isEquivalent, normalizeAnswer } from '../../src/grade/index.js';

// The rules, not the symbolic engine's speed: a starved CPU must not turn a slow proof into "not equal".
const RULES = { timeoutMs: 30_000 };
const eq = (a: string, b: string) => assert.ok(isEquivalent(a, b, RULES) && isEquivalent(b, a, RULES), `${a} ≡ ${b}`);
const ne = (a: string, b: string) => assert.ok(!isEquivalent(a, b, RULES) && !isEquivalent(b, a, RULES), `${a} ≢ ${b}`);

describe('extraction', () => {
  it('takes the last \\boxed{} with brace matching', () => {
    assert.equal(extractAnswer('first \\boxed{1}. Then we get \\boxed{\\frac{a}{b^{2}}}'), '\\frac{a}{b^{2}}');
    assert.equal(extractAnswer('so \\boxed{\\{1, 2\\}}.'), '\\{1, 2\\}');
  });
  it('accepts \\fbox{} and \\boxed without braces', () => {
    assert.equal(extractAnswer('\\fbox{7}'), '7');
    assert.equal(extractAnswer('The answer is \\boxed 5'), '5');
  });
  it('joins boxes separated only by connectives, not by sentences', () => {
    assert.equal(extractAnswer('\\boxed{1} and \\boxed{2}'), '1, 2');
    assert.equal(extractAnswer('$\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}$'), '(2, 2), (6, 2)');
    assert.equal(extractAnswer('We get \\boxed{3}. Then finally \\boxed{4}'), '4');
    assert.equal(extractAnswer('\\boxed{1} no no no no no \\boxed{2}'), '2');
  });
  it('keeps a percent sign written after the box', () => {
    assert.equal(extractAnswer('$\\boxed{28}$ pct'), '28\\%');
  });
  it('an unclosed box takes the rest of the text', () => {
    assert.equal(extractAnswer('the answer is \\boxed{x = 1'), 'x = 1');
  });
  it('"final answer is …" and "answer: …"', () => {
    assert.equal(extractAnswer('Final Answer: The final answer is $3$. I hope it is correct.'), '3');
    assert.equal(extractAnswer('Final Answer: The largest $n$ is 34.'), '34');
    assert.equal(extractAnswer('Therefore, the answer is: 42'), '42');
    assert.equal(extractAnswer('The answer: $x=3$'), 'x=3');
    assert.equal(extractAnswer('Natalia sold 24 clips in May.\n#### 72'), '72');
  });
  it('a bare answer is returned whole', () => {
    assert.equal(extractAnswer('1, 3, 2'), '1, 3, 2');
    assert.equal(extractAnswer('10 weeks'), '10 weeks');
    assert.equal(extractAnswer('y = 2x + 3'), 'y = 2x + 3');
  });
  it('the last LaTeX span ($, $$, \\(, \\[), spans joined by and/or', () => {
    assert.equal(extractAnswer('Therefore $x \\geq 5$ is the solution.'), 'x \\geq 5');
    assert.equal(extractAnswer('Answer \\[ \n 9 \n \\]'), '9');
    assert.equal(extractAnswer('Hence \\( (9+1) \\) it is'), '(9+1)');
    assert.equal(extractAnswer('The roots are $1$ and $2$ and $3$'), '1, 2, 3');
  });
  it('inline $…$ and \\(…\\) do not span lines', () => {
    assert.equal(extractAnswer('Answer $ \n 9 \n $'), null);
  });
  it('prices are not math spans', () => {
    assert.equal(extractAnswer('He pays $5 for apples and $10 for pears, so the total is $15.'), '15');
  });
  it('the last number, with thousands separators, anchored at a word boundary', () => {
    assert.equal(extractAnswer('the number is not 10 which is 1,000.99€'), '1,000.99');
    assert.equal(extractAnswer('The probability is 50%.'), '50\\%');
    assert.equal(extractAnswer('AZYUK2A'), null);
    assert.equal(extractAnswer('no numbers here'), null);
  });
});

describe('normalization', () => {
  const n = normalizeAnswer;
  it('\\left/\\right and spacing commands', () => {
    assert.equal(n('\\left( \\frac{1}{3} \\right)'), '(\\frac{1}{3})');
    assert.equal(n('1\\,\\frac{1}{2}\\;x\\quad'), n('1\\frac{1}{2}x'));
    assert.equal(n('\\left[ -1, 2 \\right)'), '[-1, 2)');
  });
  it('$ and display commands, \\boxed', () => {
    assert.equal(n('$\\displaystyle \\boxed{7}$'), '7');
  });
  it('\\dfrac, \\tfrac, \\cfrac', () => {
    assert.equal(n('\\dfrac{1}{3}'), '\\frac{1}{3}');
    assert.equal(n('\\tfrac{1}{3}'), '\\frac{1}{3}');
    assert.equal(n('\\cfrac{1}{3}'), '\\frac{1}{3}');
  });
  it('relation spellings', () => {
    assert.equal(n('x \\leq 3'), n('x <= 3'));
    assert.equal(n('x \\leqslant 3'), n('x \\le 3'));
    assert.equal(n('x \\geq 3'), n('x >= 3'));
    assert.equal(n('x \\neq 3'), n('x != 3'));
    assert.equal(n('x \\lt 3'), 'x<3');
  });
  it('malformed \\frac12, \\frac1{72}, \\sqrt3', () => {
    assert.equal(n('\\frac12'), '\\frac{1}{2}');
    assert.equal(n('\\frac1{72}'), '\\frac{1}{72}');
    assert.equal(n('\\frac{3}2'), '\\frac{3}{2}');
    assert.equal(n('\\sqrt3'), '\\sqrt{3}');
    assert.equal(n('\\sqrt x'), '\\sqrt{x}');
  });
  it('.5 and trailing zeros', () => {
    assert.equal(n('.5'), '0.5');
    assert.equal(n('2.50'), '2.5');
    assert.equal(n('3.0'), '3');
    assert.equal(n('3.'), '3');
  });
  it('units in \\text{}/\\mbox{} and as words', () => {
    assert.equal(n('10\\text{ cm}^{2}'), '10');
    assert.equal(n('864 \\mbox{ inches}^2'), '864');
    assert.equal(n('10 square units'), '10');
    assert.equal(n('\\frac{3}{4}\\pi\\text{ inches}'), '\\frac{3}{4}\\pi');
    assert.equal(n('0.64N'), '0.64N'); // a glued letter is a symbol, not a unit
  });
  it('degrees', () => {
    assert.equal(n('30^\\circ'), '30');
    assert.equal(n('30^{\\circ}'), '30');
    assert.equal(n('45°'), '45');
    assert.equal(n('\\sin(90^{\\circ}-x)'), '\\sin(90^\\circ-x)');
  });
  it('percent is kept as a flag', () => {
    assert.equal(n('28 percent'), '28\\%');
    assert.equal(n('28%'), '28\\%');
    assert.equal(n('28 pct'), '28\\%');
  });
  it('thousands separators only in the d{1,3}(,ddd)+ pattern', () => {
    assert.equal(n('1,234,567'), '1234567');
    assert.equal(n('11,\\!111'), '11111');
    assert.equal(n('5\\,000'), '5000');
    assert.equal(n('1,23'), '1, 23');
    assert.equal(n('-10879,10879'), '-10879, 10879');
    assert.equal(n('(1,000)'), '(1, 000)');
  });
  it('\\text{X} answers and MC letters', () => {
    assert.equal(n('\\text{odd}'), '\\text{odd}');
    eq('\\text{odd}', 'Odd');
    eq('\\text{(C)}', 'C');
    eq('(B)', '\\textbf{B}');
    ne('\\text{E}', 'd');
  });
  it('short left-hand sides', () => {
    eq('x = 5', '5');
    eq('f(x) = 2x + 3', '2x+3');
    eq('\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}', '\\frac{1}{\\sqrt6}');
    ne('7 = 11a+c', '11a+c');
  });
  it('number words, mixed numbers, infinity', () => {
    assert.equal(n('five'), '5');
    assert.equal(n('twenty-one'), '21');
    assert.equal(n('one hundred and five'), '105');
    assert.equal(n('2\\frac{1}{2}'), '\\frac{5}{2}');
    assert.equal(n('1 1/2'), '\\frac{3}{2}');
    assert.equal(n('infinity'), '\\infty');
    assert.equal(n('+\\infty'), '\\infty');
  });
  it('double-escaped commands', () => {
    assert.equal(n('-2 \\\\le x'), '-2\\le x');
  });
  it('is idempotent', () => {
    for (const s of ['45^\\circ, 135^\\circ', '1, 2, 3', '\\left( 3, \\frac{\\pi}{2} \\right)', '10 \\text{ cm}', 'x \\in [0, 1)']) {
      assert.equal(n(n(s)), n(s), s);
    }
  });
});

describe('comparison', () => {
  it('fast path: equal normalized strings', () => eq('\\dfrac{1}{2}', '\\frac12'));
  it('numbers: exact integers, relative tolerance otherwise', () => {
    eq('1000', '1000.0');
    ne('1000', '1000.05');
    ne('18', '18.5');
    eq('0.0833333333333333', '\\frac{1}{12}');
    eq('125.663', '40\\pi');
    ne('0.33', '\\frac13');
    eq('2^{100}', '1267650600228229401496703205376');
    ne('2^{100}', '2^{100}+1');
    eq('7.8\\times 10^2', '780');
    eq('\\$1,234.50', '1234.5');
  });
  it('numbers too large to compare exactly are never equal by float (towers, factorials, products, overflow, infinity)', () => {
    ne('9^{9^{9}}', '9^{9^9}+7');
    ne('\\infty', '10^{10^{10^{10}}}');
    ne('10^{10^{10}}', '10^{10^{10}}+1');
    ne('2^{10000}', '2^{10000}+1');
    ne('3000!', '3000!+1');
    ne('1000!', '1000!+1');
    ne('\\frac{10^{400}}{3}', '\\frac{10^{400}+1}{3}');
    ne('\\pi\\cdot 10^{300}', '\\pi\\cdot10^{300}+7');
    ne('2^{60}+\\sqrt{4}', '2^{60}');
    ne('\\infty', '-\\infty');
    ne('1.5\\times10^{20}', '150000000000000000001');
    // Equal ones still are: written the same, exactly computable, or the same canonical form.
    eq('3000!', '3000!');
    eq('9^{9^9}', '9^{387420489}');
    eq('(10^{100})^{100}', '10^{10000}');
    eq('1.5\\times10^{20}', '150000000000000000000');
    eq('\\infty', '+\\infty');
  });
  it('tolerance options', () => {
    assert.ok(isEquivalent('0.33', '\\frac13', { digits: 2 }));
    assert.ok(isEquivalent('0.002', '0.003', { absTol: 1e-3 }));
    assert.ok(!isEquivalent('0.002', '0.004', { absTol: 1e-3 }));
  });
  it('percent variants only when % is present', () => {
    eq('10\\%', '0.1');
    eq('10\\%', '10');
    eq('60%', '0.6');
    ne('60', '0.6');
  });
  it('multiple-choice letters', () => {
    eq('A', '\\text{(A)}');
    ne('A', 'B');
  });
  it('intervals with bracket types, unions', () => {
    eq('[1/2, \\infty)', 'x \\in [0.5, \\infty)');
    ne('(-3,2)', '[-3,2]');
    eq('(-\\infty,1]\\cup[10,+\\infty)', 'c \\in \\left(-\\infty, 1\\right]\\cup[10,+\\infty)');
    eq('(0,1)', '0<f(x)<1');
    eq('x \\in [-2,7]', '-2 \\le x \\le 7');
    eq('z \\in [-\\frac32, -1] \\cup [1, \\frac32]', '1\\leq|z|\\leq \\frac{3}{2}');
  });
  it('ordered tuples, unordered lists and sets', () => {
    ne('(1,2)', '(2,1)');
    eq('(1, 4.5)', '(1,\\frac92)');
    eq('1, 3, 2', '1, 2, 3');
    eq('\\{1,2,3\\}', '\\{3,2,1\\}');
    eq('-12;-11;-10', '\\{-10, -11, -12\\}');
    ne('1, 2, 3', '1, 2');
    eq('(5,2),(7,2)', 'p=5,q=2;p=7,q=2');
    eq('a_3 = 2, a_{37} = 19', 'a_{37} = 19, a_3 = 2');
  });
  it('\\pm', () => {
    eq('1 \\pm \\sqrt{19}', '1+\\sqrt{19}, 1-\\sqrt{19}');
    eq('\\{-2021, 2021\\}', '\\pm 2021');
    ne('2021', '\\pm 2021');
  });
  it('matrices and vectors', () => {
    eq('\\begin{pmatrix}1 & 0.5 \\\\ 1/3 & 4\\end{pmatrix}', '\\begin{bmatrix}1 & \\frac12 \\\\ \\frac13 & 4\\end{bmatrix}');
    eq('\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix} + \\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}', '\\begin{pmatrix}6 & 8 \\\\ 10 & 12\\end{pmatrix}');
    eq('\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '(1,2)');
    ne('\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}', '\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}');
  });
  it('relations: chains and ≈', () => {
    eq('x = 5+5+1 = 7 = 11', 'x = 11');
    eq('x \\approx 11', '11');
    eq('x=1/3\\approx0.33', '\\frac13');
  });
  it('equations up to a non-zero constant factor', () => {
    eq('y=-\\frac{1}{2}x+\\frac{3}{4}', '2x+4y-3=0');
    eq('-34x-45y+20z-100=0', '34x+45y-20z+100=0');
    ne('x^2-y^2=1', 'x^2+y^2=1');
    ne('\\cos(x)=\\frac{42}{59}', '\\sin(x)=\\frac{42}{59}');
  });
  it('inequalities up to a positive factor and direction', () => {
    eq('5 \\geq x', 'x \\leq 5');
    eq('-x > -1', 'x < 1');
    ne('x > -1', 'x < 1');
    ne('x > 3', 'x \\ge 3');
  });
  it('expressions: symbolic, sampling (same free symbols)', () => {
    eq('\\frac{x}{7}+\\frac{2}{7}', '\\frac{x+2}{7}');
    eq('\\sec^2(y)', '\\tan^2(y)+1');
    eq('\\frac{n!}{k!(n-k)!}', '\\frac{(n-1)!}{k!} \\frac{n}{(n-k)!}');
    eq('i(2-i)', '1+2i');
    eq('\\cos^2 x + \\sin^2 x', '1');
    ne('x+1', 'x+2n+1');
    ne('f(y)', 'f(x)');
    ne('\\sqrt{x^2}', 'x');
    ne('10', '10cm');
  });
  it('implicit multiplication, and no state leaks between answers', () => {
    eq('a(b+c)', 'ab+ac');
    eq('c(a+b)', 'ac+bc');
    eq('x(y+z)', 'xy+xz');
    eq('f(x+1)', 'f(1+x)');
    ne('f(x+1)', 'f(x)+1');
    eq('\\sum_{k=0}^{n-1} F_{n-k-1} F_k', '\\sum_{k=0}^{n-1} F_k F_{n-k-1}');
  });
  it('times and ratios', () => {
    eq('20:34:00', '20:34');
    eq('08:34 \\text{P.M.}', '20:34');
    ne('1:00', '12:00');
    eq('7:32', 'S_{MBCN}:S=7:32');
  });
});

/** Groups answers into equivalence classes with the judge and returns them by descending count. */
export function majorityVote(
  answers: Array<string | null>,
  equal: (a: string, b: string) => boolean,
): Array<{ answer: string; count: number; members: number[] }> {
  const classes: Array<{ answer: string; count: number; members: number[] }> = [];
  answers.forEach((a, i) => {
    if (a === null) return;
    const hit = classes.find((c) => c.answer === a || equal(a, c.answer));
    if (hit) {
      hit.count++;
      hit.members.push(i);
    } else classes.push({ answer: a, count: 1, members: [i] });
  });
  // Stable: ties go to the answer seen first.
  return classes.sort((x, y) => y.count - x.count || x.members[0] - y.members[0]);
}

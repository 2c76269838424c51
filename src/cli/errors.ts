/** An error whose message is shown to the user as is (one line), with a chosen exit code. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

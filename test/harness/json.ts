/** Response bodies in tests are whatever the server sent: typed loosely on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (res: Response): Promise<any> => res.json();

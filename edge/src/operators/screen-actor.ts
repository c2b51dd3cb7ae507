/** What an action is recorded as when nobody is signed in on a box that checks credentials. */
export const UNSIGNED_ACTOR = 'in-room screen';

/**
 * Who an action from the screen or the box's API (start, end, landmark, acknowledge, dismiss, chat)
 * is recorded as: the person signed in at that moment. With nobody signed in, a box that has held
 * credentials records no name (a name typed into a request is not an identity); a box that never
 * held one (not enrolled, or no PINs issued yet) keeps the name the request gives, as before.
 */
export function recordedActor(options: {
  signedIn: string | null;
  credentialsHeld: boolean;
  given?: string | null | undefined;
}): string | null {
  if (options.signedIn) return options.signedIn;
  if (!options.credentialsHeld && options.given) return options.given;
  return null;
}

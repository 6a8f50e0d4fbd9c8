import { consentStep } from './consent-step.ts';
import { credentialsStep } from './credentials-step.ts';
import type { SignInStep } from './flow.ts';

/**
 * The sign-in steps, in the order they run (docs/oauth.md "Sign-in steps"): who the user is, then
 * whether they approve the client. A second factor goes between the two.
 */
export const SIGN_IN_STEPS: readonly SignInStep[] = [credentialsStep, consentStep];

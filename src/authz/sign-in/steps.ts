import { consentStep } from './consent-step.ts';
import { credentialsStep } from './credentials-step.ts';
import type { SignInStep } from './flow.ts';
import { secondFactorStep } from './second-factor-step.ts';

/**
 * The sign-in steps, in the order they run (docs/oauth.md "Sign-in steps"): who the user is (the
 * password, then the second factor when the MFA policy asks for one), then whether they approve the client.
 */
export const SIGN_IN_STEPS: readonly SignInStep[] = [credentialsStep, secondFactorStep, consentStep];

import base from './playwright.config';

// The Keycloak layer (end2end/scripts/idp-journeys.sh keycloak starts Keycloak and a Berth that trusts it):
// Keycloak's own journeys (end2end/keycloak) with JavaScript on, and the main user journey
// (tests/journey.spec.ts, whose sign-in helpers fill in Keycloak's form as well as oidc-provider's) with
// JavaScript on and off.
const [jsOn, jsOff] = base.projects!;
export default {
  ...base,
  testDir: '.',
  projects: [
    { ...jsOn, testMatch: ['keycloak/*.spec.ts', 'tests/journey.spec.ts'] },
    { ...jsOff, testMatch: ['tests/journey.spec.ts'] },
  ],
};

import base from './playwright.config';

// The Keycloak journeys (end2end/scripts/test.sh starts Keycloak and a Berth that trusts it), with
// JavaScript on.
export default { ...base, testDir: './keycloak', projects: [base.projects![0]] };

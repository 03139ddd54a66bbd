import base from './playwright.config';

// The Dex journeys (end2end/scripts/idp-journeys.sh dex starts Dex and a Berth that trusts it), with
// JavaScript on.
export default { ...base, testDir: './dex', projects: [base.projects![0]] };

import base from './playwright.config';

// The compatibility layer (end2end/scripts/compat.sh): one short journey against a Berth on the oldest
// Kubernetes minor Berth supports, with JavaScript on.
export default { ...base, testDir: './compat', projects: [base.projects![0]] };

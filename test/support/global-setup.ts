// Runs once before all test files (filled in by the storage test support).
export default async function setup(): Promise<void> {}

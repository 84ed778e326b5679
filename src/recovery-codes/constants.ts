/** Contract: 10 codes of 16 characters from an unambiguous alphabet, single use. */
export const RECOVERY_CODE_COUNT = 10;
export const RECOVERY_CODE_LENGTH = 16;

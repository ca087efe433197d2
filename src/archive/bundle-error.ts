/**
 * The error the bundle readers (zip, tar) throw for an archive or a member they cannot read.
 *
 * Whether the whole archive or one member is lost follows from where the error comes from:
 * `listZip` and `tarMembers` fail for the archive (`file`, and for tar the `offset` of the bad
 * header), while `readZipMember` fails for one member only (`member` is set), so the caller can
 * quarantine that member and go on reading the others.
 */
export type BundleErrorCode =
  /** The zip's structure (end record, central directory, a local header) is truncated or broken. */
  | "zip-corrupt"
  /** A zip feature this reader does not implement: encryption, a compression method, spanning. */
  | "zip-unsupported"
  /** A zip member inflated to bytes whose CRC-32 is not the one the archive recorded. */
  | "zip-crc-mismatch"
  /** A tar header with a bad checksum or number, or a member running past the end of the data. */
  | "tar-corrupt";

export interface BundleErrorInput {
  /** The archive, as the caller named it (usually its path). */
  file?: string;
  /** The member's name inside the archive, when one member is at fault. */
  member?: string;
  /** Byte offset in the archive of the structure at fault. */
  offset?: number;
}

export class BundleError extends Error {
  override readonly name = "BundleError";
  readonly code: BundleErrorCode;
  readonly file?: string;
  readonly member?: string;
  readonly offset?: number;

  constructor(code: BundleErrorCode, reason: string, where: BundleErrorInput = {}) {
    super(describe(reason, where));
    this.code = code;
    if (where.file !== undefined) this.file = where.file;
    if (where.member !== undefined) this.member = where.member;
    if (where.offset !== undefined) this.offset = where.offset;
  }
}

function describe(reason: string, { file, member, offset }: BundleErrorInput): string {
  const parts: string[] = [];
  if (file !== undefined) parts.push(file);
  if (member !== undefined) parts.push(`member ${JSON.stringify(member)}`);
  if (offset !== undefined) parts.push(`at byte ${offset}`);
  return parts.length > 0 ? `${parts.join(", ")}: ${reason}` : reason;
}

package io.ccotel.gateway.core.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * What tells a changed file from an unchanged one without reading it: modification time, size and
 * file key (inode), so that an in-place edit, a rename over the file and a Kubernetes secret's
 * symlink swap are all seen (symbolic links are followed). {@code fileKey} may be null.
 */
record FileStamp(FileTime modified, long size, Object fileKey) {
  static FileStamp of(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    return new FileStamp(a.lastModifiedTime(), a.size(), a.fileKey());
  }
}

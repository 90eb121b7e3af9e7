package org

// EncodeMember is the stored form of a member, for tests that change the database behind the
// stores' backs (as a process that died before announcing its change would leave it).
var EncodeMember = encodeMember

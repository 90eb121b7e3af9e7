package org_test

import "sealdesk/core/ids"

func idsCheck(body string) (byte, error) { return ids.CreditCheck(body) }

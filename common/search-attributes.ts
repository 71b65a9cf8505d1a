// Custom search attributes every object workflow sets, so a user filters the Temporal
// Web UI to one object (`ObjectKind="Kustomization" AND ObjectName="apps"`) and reads
// every reconcile of it. Registered on the dev server at start.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ObjectKind = defineSearchAttributeKey('ObjectKind', SearchAttributeType.KEYWORD);
export const ObjectNamespace = defineSearchAttributeKey('ObjectNamespace', SearchAttributeType.KEYWORD);
export const ObjectName = defineSearchAttributeKey('ObjectName', SearchAttributeType.KEYWORD);
export const Revision = defineSearchAttributeKey('Revision', SearchAttributeType.KEYWORD);
/** The object's Ready condition status: True, False or Unknown. */
export const Ready = defineSearchAttributeKey('Ready', SearchAttributeType.KEYWORD);

export const searchAttributes = [ObjectKind, ObjectNamespace, ObjectName, Revision, Ready];

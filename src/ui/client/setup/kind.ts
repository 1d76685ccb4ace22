/** The things the set-up dialogs create and edit. */
export type SetupKind = "source" | "subscriber" | "destination" | "archive-target" | "subscription";

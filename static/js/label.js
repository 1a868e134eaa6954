// Opened with ?print=1 in the bench's hidden frame: print as soon as the label has loaded.
window.addEventListener("load", function () { window.print(); });

-- placeholder so the embed step has one script; replaced by real scripts
return 1
